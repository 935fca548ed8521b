//! Typed ids. Every id is stored as text (a UUID, or a slug for content), but a cohort id is
//! not a user id: a service that takes a `&CohortId` cannot be handed a user's id by mistake.
//! Each type converts itself at the boundaries: diesel binds and reads it as text, serde reads
//! and writes the plain string (so the API and the rows are unchanged), and a page or API path
//! segment deserializes straight into it.

/// Declares an id newtype over `String`.
#[macro_export]
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Default,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The stored text.
            pub fn into_string(self) -> String {
                self.0
            }

            /// A new random id (UUID v4).
            pub fn random() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::to_sql(self.0.as_str(), out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::to_sql(self.0.as_str(), out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.0.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $name
        {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::from_sql(bytes)
                .map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <String as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

#[cfg(test)]
mod tests {
    crate::id_type!(
        /// A test id.
        ExampleId
    );

    #[test]
    fn an_id_reads_and_writes_as_its_plain_text() {
        let id = ExampleId::from("abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        let back: ExampleId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_string(), "abc");
        let stored: String = "abc".into();
        assert_eq!(id, *"abc");
        assert_eq!(stored, id);
        assert_eq!(id, stored);
        assert_ne!(ExampleId::random(), ExampleId::random());
    }
}

/// What an audit row is about: the kind of record and its id. Built from a typed id
/// ([`AuditSubject::of`]), from a kind and id read back from a row that refers to several kinds
/// of record (an appeal's subject), or for the system itself (the retention purge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSubject<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

/// A typed id whose records are audited, with the kind its audit rows name.
pub trait Audited {
    const KIND: &'static str;
    fn audited_id(&self) -> &str;
}

impl<'a> AuditSubject<'a> {
    /// The subject a typed id names.
    pub fn of<T: Audited>(id: &'a T) -> Self {
        AuditSubject {
            kind: T::KIND,
            id: id.audited_id(),
        }
    }

    /// A subject stored as kind and id in another record (an appeal's subject).
    pub fn stored(kind: &'a str, id: &'a str) -> Self {
        AuditSubject { kind, id }
    }

    /// The system itself, for what no one person did (the retention purge).
    pub fn system(what: &'a str) -> Self {
        AuditSubject {
            kind: "system",
            id: what,
        }
    }
}

/// Declares the audit kind of an id type.
#[macro_export]
macro_rules! audited {
    ($name:ty, $kind:literal) => {
        impl $crate::ids::Audited for $name {
            const KIND: &'static str = $kind;
            fn audited_id(&self) -> &str {
                self.as_str()
            }
        }
    };
}
