-- Creates the {{ database_name }} database on first start.
-- Runs through psql as the superuser; \gexec runs the generated statement,
-- so nothing happens when the database already exists.
SELECT 'CREATE DATABASE "{{ database_name }}"'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{{ database_name }}')
\gexec
