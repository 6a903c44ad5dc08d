"""`TORTOISE_ORM` for Tortoise's own CLI: `tortoise -c service.tortoise_settings.TORTOISE_ORM makemigrations`.

`autofin makemigrations` wraps that command; the database comes from DATABASE_URL like everywhere else.
"""

from service.config import load_settings
from service.db import tortoise_config

TORTOISE_ORM = tortoise_config(load_settings().database_url)
