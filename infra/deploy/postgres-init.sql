-- One database per service, each owned by a role of the same name; run once by the postgres image on an empty
-- data directory. The passwords are the demo's: outside the demo, create the roles with secrets of your own.
-- No service may connect to another's database (CONNECT revoked from PUBLIC; an owner keeps its own).
CREATE ROLE intake LOGIN PASSWORD 'intake';
CREATE DATABASE intake OWNER intake;
REVOKE CONNECT ON DATABASE intake FROM PUBLIC;

CREATE ROLE triage LOGIN PASSWORD 'triage';
CREATE DATABASE triage OWNER triage;
REVOKE CONNECT ON DATABASE triage FROM PUBLIC;

CREATE ROLE routing LOGIN PASSWORD 'routing';
CREATE DATABASE routing OWNER routing;
REVOKE CONNECT ON DATABASE routing FROM PUBLIC;

CREATE ROLE notify LOGIN PASSWORD 'notify';
CREATE DATABASE notify OWNER notify;
REVOKE CONNECT ON DATABASE notify FROM PUBLIC;
