//! Fuzz targets of Assessor Academy (see `fuzz/README.md`). The properties live in
//! [`checks`], which the API tests also compile to replay saved crash inputs.

pub mod checks;
