//! A cluster: the databases of one data directory, as in PostgreSQL.
//!
//! Each database is a [`Database`] of its own: its own storage (a directory under
//! `base/` of the data directory, or memory), catalog and transactions. A session is
//! connected to one database and never reads another, so nothing crosses between them;
//! `CREATE DATABASE` and `DROP DATABASE` change the set, outside any transaction (PostgreSQL
//! refuses them in a transaction block too). A new cluster has the databases `anchor` and
//! `postgres`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result, SqlState};
use crate::roles::{Role, Roles};
use crate::session::{Database, Session};

/// The databases every new cluster has.
pub const INITIAL_DATABASES: &[&str] = &["anchor", "postgres"];

/// The databases of one data directory (or of memory).
pub struct Cluster {
    /// Where databases live (`None`: in memory).
    root: Option<PathBuf>,
    databases: Mutex<BTreeMap<String, Arc<Database>>>,
    /// The roles (cluster-wide, as in PostgreSQL).
    roles: Roles,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("root", &self.root).finish()
    }
}

/// The directory of database `name` under `root`: the name itself when it is plain, else
/// its bytes in hex (any identifier is a valid database name).
fn directory(root: &Path, name: &str) -> PathBuf {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let leaf = if plain {
        name.to_string()
    } else {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        format!("x-{hex}")
    };
    root.join("base").join(leaf)
}

/// The database name a directory under `base/` holds.
fn name_of(leaf: &str) -> Option<String> {
    match leaf.strip_prefix("x-") {
        None => Some(leaf.to_string()),
        Some(hex) => {
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            bytes.and_then(|b| String::from_utf8(b).ok())
        }
    }
}

impl Cluster {
    /// A cluster in memory with the initial databases (for tests).
    pub fn memory() -> Result<Arc<Cluster>> {
        let mut databases = BTreeMap::new();
        for name in INITIAL_DATABASES {
            databases.insert(name.to_string(), Database::memory()?);
        }
        Ok(Arc::new(Cluster {
            root: None,
            databases: Mutex::new(databases),
            roles: Roles::memory(),
        }))
    }

    /// The cluster in `dir`, created with the initial databases if it has none.
    pub fn open(dir: &Path) -> Result<Arc<Cluster>> {
        let base = dir.join("base");
        std::fs::create_dir_all(&base).map_err(|e| io_error(&base, e))?;
        let mut databases = BTreeMap::new();
        let entries = std::fs::read_dir(&base).map_err(|e| io_error(&base, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&base, e))?;
            let leaf = entry.file_name().to_string_lossy().to_string();
            if let Some(name) = name_of(&leaf) {
                databases.insert(name, Database::open(&entry.path())?);
            }
        }
        if databases.is_empty() {
            for name in INITIAL_DATABASES {
                databases.insert(name.to_string(), Database::open(&directory(dir, name))?);
            }
        }
        Ok(Arc::new(Cluster {
            root: Some(dir.to_path_buf()),
            databases: Mutex::new(databases),
            roles: Roles::open(dir)?,
        }))
    }

    /// The names of the databases.
    pub fn databases(&self) -> Vec<String> {
        self.databases.lock().keys().cloned().collect()
    }

    /// The database `name` (3D000 if there is none).
    pub fn database(&self, name: &str) -> Result<Arc<Database>> {
        self.databases.lock().get(name).cloned().ok_or_else(|| {
            Error::new(
                SqlState::INVALID_CATALOG_NAME,
                format!("database \"{name}\" does not exist"),
            )
        })
    }

    /// A session connected to database `name` (3D000 if there is none) as the bootstrap
    /// superuser.
    pub fn connect(self: &Arc<Self>, name: &str) -> Result<Session> {
        let db = self.database(name)?;
        Ok(db.session_in(self.clone(), name))
    }

    /// A session connected to database `name` as role `role` (28000 if there is no such
    /// role or it may not log in; 3D000 if there is no such database). Passwords are the
    /// wire layer's business: see [`Cluster::role`].
    pub fn connect_as(self: &Arc<Self>, name: &str, role: &str) -> Result<Session> {
        match self.roles.get(role) {
            Some(r) if r.login => {}
            Some(_) => {
                return Err(Error::new(
                    SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                    format!("role \"{role}\" is not permitted to log in"),
                ));
            }
            None => {
                return Err(Error::new(
                    SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                    format!("role \"{role}\" does not exist"),
                ));
            }
        }
        let mut session = self.connect(name)?;
        session.set_user(role);
        Ok(session)
    }

    /// The role `name` (with its stored password verifier), for authentication.
    pub fn role(&self, name: &str) -> Option<Role> {
        self.roles.get(name)
    }

    /// The cluster's roles.
    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    /// `CREATE DATABASE name` (42P04 if it exists).
    pub fn create_database(&self, name: &str) -> Result<()> {
        let mut databases = self.databases.lock();
        if databases.contains_key(name) {
            return Err(Error::new(
                SqlState::DUPLICATE_DATABASE,
                format!("database \"{name}\" already exists"),
            ));
        }
        let db = match &self.root {
            None => Database::memory()?,
            Some(root) => Database::open(&directory(root, name))?,
        };
        databases.insert(name.to_string(), db);
        Ok(())
    }

    /// `DROP DATABASE name`: refused while a session uses it (55006), including the
    /// session asking (`current`).
    pub fn drop_database(&self, name: &str, current: &str, if_exists: bool) -> Result<()> {
        let mut databases = self.databases.lock();
        let Some(db) = databases.get(name) else {
            if if_exists {
                return Ok(());
            }
            return Err(Error::new(
                SqlState::INVALID_CATALOG_NAME,
                format!("database \"{name}\" does not exist"),
            ));
        };
        if name == current {
            return Err(Error::new(
                SqlState::OBJECT_IN_USE,
                "cannot drop the currently open database",
            ));
        }
        // The map holds one reference; every session holds another.
        let sessions = Arc::strong_count(db) - 1;
        if sessions > 0 {
            return Err(Error::new(
                SqlState::OBJECT_IN_USE,
                format!("database \"{name}\" is being accessed by other users"),
            )
            .with_detail(format!(
                "There {} {sessions} other session{} using the database.",
                if sessions == 1 { "is" } else { "are" },
                if sessions == 1 { "" } else { "s" }
            )));
        }
        databases.remove(name);
        if let Some(root) = &self.root {
            let dir = directory(root, name);
            std::fs::remove_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        Ok(())
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(SqlState::IO_ERROR, format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(session: &mut Session, sql: &str) -> String {
        let result = session.execute(sql).remove(0).expect("runs");
        result.rows[0][0]
            .to_text(session.settings())
            .unwrap_or_default()
    }

    #[test]
    fn sessions_connect_as_roles() {
        let cluster = Cluster::memory().expect("cluster");
        let mut admin = cluster.connect("anchor").expect("connects");
        assert_eq!(value(&mut admin, "SELECT session_user"), "anchor");
        for r in admin.execute("CREATE ROLE alice LOGIN; CREATE ROLE bob") {
            r.expect("creates the role");
        }
        let mut alice = cluster
            .connect_as("anchor", "alice")
            .expect("alice logs in");
        assert_eq!(value(&mut alice, "SELECT current_user"), "alice");
        assert_eq!(value(&mut alice, "SELECT session_user"), "alice");
        assert_eq!(alice.setting("is_superuser").as_deref(), Some("off"));
        assert_eq!(admin.setting("is_superuser").as_deref(), Some("on"));
        assert_eq!(cluster.role("alice").map(|r| r.login), Some(true));
        for who in ["bob", "carol"] {
            let err = cluster.connect_as("anchor", who).err().expect("refused");
            assert_eq!(
                err.sqlstate(),
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            );
        }
    }

    #[test]
    fn directory_names_round_trip() {
        let root = Path::new("/d");
        for name in ["anchor", "My DB", "with/slash", "..", "é"] {
            let dir = directory(root, name);
            let leaf = dir.file_name().unwrap().to_str().unwrap();
            assert!(!leaf.contains('/') && leaf != "..");
            assert_eq!(name_of(leaf).as_deref(), Some(name));
        }
    }
}
