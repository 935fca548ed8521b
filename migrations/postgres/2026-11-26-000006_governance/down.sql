DROP TABLE appeals;
DROP TABLE coi_declarations;
DROP TABLE certification_decisions;
DROP TABLE scheme_versions;
