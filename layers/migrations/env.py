"""Alembic environment: compares with the layer registry's tables.

``citygrid init`` hands it a connection (``config.attributes["connection"]``);
the ``alembic`` command (see :mod:`citygrid.layers.migrations`) opens the
database given with ``-x db=URL``, else the configured one
(``CITYGRID_DATABASE_URL``, default ``sqlite:///citygrid.db``).
"""

from alembic import context

from citygrid.layers import migrations

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    migrations.run(context, connection)
else:
    from citygrid.config import Config
    from citygrid.layers.engine import open_engine

    url = context.get_x_argument(as_dictionary=True).get("db") or Config.from_env().database_url
    engine, _ = open_engine(url, must_exist=True)
    with engine.begin() as own:
        migrations.run(context, own)
    engine.dispose()
