-- Run once by the postgres image on an empty data directory (mounted into /docker-entrypoint-initdb.d), as the
-- superuser, with the secrets mounted under /run/secrets. It creates:
--   avr_owner  owns the database and every table; only the one-shot `migrate` service connects as it;
--   avr_app    the role the web server, the worker and beat connect as; it owns nothing, so it can neither lift
--              the audit log's triggers nor TRUNCATE, UPDATE or DELETE the log (the migrations grant it the rest).
-- psql reads the passwords (backticks run in the container, the values never appear in the file or the logs).
\set ON_ERROR_STOP on
\set owner_password `cat /run/secrets/database_owner_password`
\set app_password `cat /run/secrets/database_app_password`

CREATE ROLE avr_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE avr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE avr OWNER avr_owner;
REVOKE ALL ON DATABASE avr FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE avr TO avr_app;

\connect avr
-- PostgreSQL 15+ already keeps PUBLIC from creating in the public schema; said here so it holds on any version.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO avr_owner;
