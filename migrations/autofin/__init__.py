"""Migrations of the autofin app. Generate with `autofin makemigrations`; never edit an applied one."""
