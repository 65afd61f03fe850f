//! Roles: the cluster-wide users and groups, as PostgreSQL keeps them in `pg_authid`.
//!
//! Roles belong to the cluster, not to a database (PostgreSQL stores them under `global/`),
//! so they live beside the databases in [`crate::Cluster`]: a [`Roles`] set, kept in memory
//! and written whole to `global/roles.json` after every change (a small file, replaced
//! atomically). Role DDL therefore takes effect at once and is not undone by a ROLLBACK of
//! the transaction block around it, unlike PostgreSQL's.
//!
//! A new cluster has one role, the superuser `anchor` with PostgreSQL's bootstrap OID 10.
//! Passwords are stored as PostgreSQL stores them: a SCRAM-SHA-256 verifier
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802/7677), or a given
//! `md5...` hash as it is. Roles are not enforced beyond that: no privilege checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlparser::ast;

use crate::catalog::{FIRST_USER_OID, Oid};
use crate::error::{Error, Result, SqlState};

/// The superuser every new cluster has.
pub const BOOTSTRAP_ROLE: &str = "anchor";

/// The bootstrap superuser's OID, as in PostgreSQL.
pub const BOOTSTRAP_ROLE_OID: Oid = 10;

/// PBKDF2 iterations of new SCRAM verifiers (PostgreSQL's `scram_iterations` default).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// A role (`pg_authid` row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Its OID.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// `SUPERUSER`.
    pub superuser: bool,
    /// `LOGIN`: may connect (roles made with CREATE USER may, with CREATE ROLE not).
    pub login: bool,
    /// `CREATEDB`.
    #[serde(default)]
    pub createdb: bool,
    /// `CREATEROLE`.
    #[serde(default)]
    pub createrole: bool,
    /// `INHERIT` (the default).
    #[serde(default = "yes")]
    pub inherit: bool,
    /// `REPLICATION`.
    #[serde(default)]
    pub replication: bool,
    /// `BYPASSRLS`.
    #[serde(default)]
    pub bypassrls: bool,
    /// `CONNECTION LIMIT` (-1: none).
    #[serde(default = "no_limit")]
    pub connlimit: i32,
    /// The stored password verifier (`SCRAM-SHA-256$...` or `md5...`), if any.
    pub password: Option<String>,
    /// `VALID UNTIL`, as written.
    #[serde(default)]
    pub valid_until: Option<String>,
}

fn yes() -> bool {
    true
}

fn no_limit() -> i32 {
    -1
}

impl Role {
    fn new(oid: Oid, name: &str, login: bool) -> Role {
        Role {
            oid,
            name: name.to_string(),
            superuser: false,
            login,
            createdb: false,
            createrole: false,
            inherit: true,
            replication: false,
            bypassrls: false,
            connlimit: -1,
            password: None,
            valid_until: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct RoleFile {
    next_oid: Oid,
    roles: BTreeMap<String, Role>,
}

impl Default for RoleFile {
    fn default() -> Self {
        let mut anchor = Role::new(BOOTSTRAP_ROLE_OID, BOOTSTRAP_ROLE, true);
        anchor.superuser = true;
        anchor.createdb = true;
        anchor.createrole = true;
        anchor.replication = true;
        anchor.bypassrls = true;
        RoleFile {
            next_oid: FIRST_USER_OID,
            roles: BTreeMap::from([(BOOTSTRAP_ROLE.to_string(), anchor)]),
        }
    }
}

/// The roles of a cluster.
pub struct Roles {
    /// `global/roles.json` (`None`: in memory).
    path: Option<PathBuf>,
    inner: Mutex<RoleFile>,
}

impl Roles {
    /// The roles of a cluster in memory: the bootstrap superuser.
    pub fn memory() -> Roles {
        Roles {
            path: None,
            inner: Mutex::new(RoleFile::default()),
        }
    }

    /// The roles stored under `dir/global`, created with the bootstrap superuser if absent.
    pub fn open(dir: &Path) -> Result<Roles> {
        let global = dir.join("global");
        std::fs::create_dir_all(&global).map_err(|e| io_error(&global, e))?;
        let path = global.join("roles.json");
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(SqlState::DATA_CORRUPTED, format!("{}: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RoleFile::default(),
            Err(e) => return Err(io_error(&path, e)),
        };
        let roles = Roles {
            path: Some(path),
            inner: Mutex::new(file),
        };
        roles.save(&roles.inner.lock())?;
        Ok(roles)
    }

    fn save(&self, file: &RoleFile) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(file).map_err(Error::internal)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    }

    /// The role `name`.
    pub fn get(&self, name: &str) -> Option<Role> {
        self.inner.lock().roles.get(name).cloned()
    }

    /// Every role, by name.
    pub fn list(&self) -> Vec<Role> {
        self.inner.lock().roles.values().cloned().collect()
    }

    /// The name of the role with OID `oid`.
    pub fn name_of(&self, oid: Oid) -> Option<String> {
        self.inner
            .lock()
            .roles
            .values()
            .find(|r| r.oid == oid)
            .map(|r| r.name.clone())
    }

    /// Runs CREATE ROLE / USER, ALTER ROLE / USER or DROP ROLE / USER for the session
    /// user `current`; returns the command tag.
    pub fn execute(&self, stmt: &ast::Statement, current: &str) -> Result<String> {
        let mut file = self.inner.lock();
        let tag = match stmt {
            ast::Statement::CreateRole(create) => {
                for name in &create.names {
                    let name = role_name(name)?;
                    if file.roles.contains_key(&name) {
                        return Err(Error::new(
                            SqlState::DUPLICATE_OBJECT,
                            format!("role \"{name}\" already exists"),
                        ));
                    }
                    reserved(&name)?;
                    let oid = file.next_oid;
                    file.next_oid += 1;
                    let mut role = Role::new(oid, &name, create.login.unwrap_or(false));
                    apply_create(&mut role, create)?;
                    file.roles.insert(name, role);
                }
                "CREATE ROLE"
            }
            ast::Statement::AlterRole { name, operation } => {
                let name = ident(name);
                let Some(mut role) = file.roles.get(&name).cloned() else {
                    return Err(missing(&name));
                };
                match operation {
                    ast::AlterRoleOperation::RenameRole { role_name } => {
                        let new = ident(role_name);
                        if name == current {
                            return Err(Error::new(
                                SqlState::FEATURE_NOT_SUPPORTED,
                                "session user cannot be renamed",
                            ));
                        }
                        if file.roles.contains_key(&new) {
                            return Err(Error::new(
                                SqlState::DUPLICATE_OBJECT,
                                format!("role \"{new}\" already exists"),
                            ));
                        }
                        reserved(&new)?;
                        file.roles.remove(&name);
                        // PostgreSQL clears an MD5 password, which is salted with the name.
                        if role
                            .password
                            .as_deref()
                            .is_some_and(|p| p.starts_with("md5"))
                        {
                            role.password = None;
                        }
                        role.name = new.clone();
                        file.roles.insert(new, role);
                    }
                    ast::AlterRoleOperation::WithOptions { options } => {
                        for option in options {
                            apply_option(&mut role, option)?;
                        }
                        file.roles.insert(name, role);
                    }
                    other => {
                        return Err(Error::unsupported(format!("ALTER ROLE {other}")));
                    }
                }
                "ALTER ROLE"
            }
            ast::Statement::Drop {
                names, if_exists, ..
            } => {
                for name in names {
                    let name = role_name(name)?;
                    if !file.roles.contains_key(&name) {
                        if *if_exists {
                            continue;
                        }
                        return Err(missing(&name));
                    }
                    if name == current {
                        return Err(Error::new(
                            SqlState::OBJECT_IN_USE,
                            "current user cannot be dropped",
                        ));
                    }
                    if file
                        .roles
                        .get(&name)
                        .is_some_and(|r| r.oid == BOOTSTRAP_ROLE_OID)
                    {
                        return Err(Error::new(
                            SqlState::OBJECT_IN_USE,
                            format!(
                                "cannot drop role {name} because it is required by the database system"
                            ),
                        ));
                    }
                    file.roles.remove(&name);
                }
                "DROP ROLE"
            }
            _ => return Err(Error::internal("not a role statement")),
        };
        self.save(&file)?;
        Ok(tag.to_string())
    }
}

/// True for the statements [`Roles::execute`] runs.
pub fn is_role_statement(stmt: &ast::Statement) -> bool {
    matches!(
        stmt,
        ast::Statement::CreateRole(_)
            | ast::Statement::AlterRole { .. }
            | ast::Statement::Drop {
                object_type: ast::ObjectType::Role | ast::ObjectType::User,
                ..
            }
    )
}

fn ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn role_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(i)] => Ok(ident(i)),
        _ => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            format!("syntax error at or near \"{name}\""),
        )),
    }
}

fn missing(name: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("role \"{name}\" does not exist"),
    )
}

/// Names PostgreSQL keeps for itself.
fn reserved(name: &str) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(Error::new(
            SqlState::RESERVED_NAME,
            format!("role name \"{name}\" is reserved"),
        )
        .with_detail("Role names starting with \"pg_\" are reserved."));
    }
    if matches!(
        name,
        "public" | "none" | "current_role" | "current_user" | "session_user"
    ) {
        return Err(Error::new(
            SqlState::RESERVED_NAME,
            format!("role name \"{name}\" is reserved"),
        ));
    }
    Ok(())
}

fn apply_create(role: &mut Role, c: &ast::CreateRole) -> Result<()> {
    let options = [
        c.superuser.map(ast::RoleOption::SuperUser),
        c.create_db.map(ast::RoleOption::CreateDB),
        c.create_role.map(ast::RoleOption::CreateRole),
        c.inherit.map(ast::RoleOption::Inherit),
        c.replication.map(ast::RoleOption::Replication),
        c.bypassrls.map(ast::RoleOption::BypassRLS),
        c.password.clone().map(ast::RoleOption::Password),
        c.connection_limit
            .clone()
            .map(ast::RoleOption::ConnectionLimit),
        c.valid_until.clone().map(ast::RoleOption::ValidUntil),
    ];
    for option in options.into_iter().flatten() {
        apply_option(role, &option)?;
    }
    if !c.in_role.is_empty() || !c.in_group.is_empty() || !c.role.is_empty() || !c.admin.is_empty()
    {
        return Err(Error::unsupported("role membership"));
    }
    Ok(())
}

fn apply_option(role: &mut Role, option: &ast::RoleOption) -> Result<()> {
    match option {
        ast::RoleOption::SuperUser(b) => role.superuser = *b,
        ast::RoleOption::CreateDB(b) => role.createdb = *b,
        ast::RoleOption::CreateRole(b) => role.createrole = *b,
        ast::RoleOption::Inherit(b) => role.inherit = *b,
        ast::RoleOption::Login(b) => role.login = *b,
        ast::RoleOption::Replication(b) => role.replication = *b,
        ast::RoleOption::BypassRLS(b) => role.bypassrls = *b,
        ast::RoleOption::Password(ast::Password::NullPassword) => role.password = None,
        ast::RoleOption::Password(ast::Password::Password(e)) => {
            let text = string_literal(e).ok_or_else(|| {
                Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("syntax error at or near \"{e}\""),
                )
            })?;
            role.password = Some(password_verifier(&role.name, &text));
        }
        ast::RoleOption::ConnectionLimit(e) => {
            role.connlimit = e.to_string().parse().map_err(|_| {
                Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("syntax error at or near \"{e}\""),
                )
            })?;
        }
        ast::RoleOption::ValidUntil(e) => role.valid_until = string_literal(e),
    }
    Ok(())
}

fn string_literal(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                Some(s.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// What PostgreSQL stores for `PASSWORD 'text'`: the text itself when it already is an MD5
/// hash or a SCRAM verifier, else a new SCRAM-SHA-256 verifier with a random salt.
pub fn password_verifier(_role: &str, password: &str) -> String {
    let is_md5 = password.len() == 35
        && password.starts_with("md5")
        && password[3..].bytes().all(|b| b.is_ascii_hexdigit());
    if is_md5 || parse_scram(password).is_some() {
        return password.to_string();
    }
    let salt: [u8; 16] = rand::random();
    scram_verifier(password, &salt, SCRAM_ITERATIONS)
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new_from_slice(&[]).expect("empty HMAC key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-256 with one block of output (SCRAM's `Hi`).
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password.as_bytes(), &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        for (o, b) in out.iter_mut().zip(u) {
            *o ^= b;
        }
    }
    out
}

/// The SCRAM-SHA-256 verifier PostgreSQL stores for `password` with `salt`.
pub fn scram_verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = salted_password(password, salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        BASE64.encode(salt),
        BASE64.encode(stored_key),
        BASE64.encode(server_key)
    )
}

/// The parts of a stored SCRAM-SHA-256 verifier, which the wire layer's SCRAM exchange
/// needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScramVerifier {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The salt.
    pub salt: Vec<u8>,
    /// `H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

/// A SCRAM-SHA-256 verifier's parts; `None` if `verifier` is not one.
pub fn parse_scram(verifier: &str) -> Option<ScramVerifier> {
    let rest = verifier.strip_prefix("SCRAM-SHA-256$")?;
    let (params, keys) = rest.split_once('$')?;
    let (iterations, salt) = params.split_once(':')?;
    let (stored, server) = keys.split_once(':')?;
    Some(ScramVerifier {
        iterations: iterations.parse().ok()?,
        salt: BASE64.decode(salt).ok()?,
        stored_key: BASE64.decode(stored).ok()?,
        server_key: BASE64.decode(server).ok()?,
    })
}

/// True if `password` matches a stored SCRAM-SHA-256 verifier.
pub fn scram_matches(verifier: &str, password: &str) -> bool {
    match parse_scram(verifier) {
        Some(v) => scram_verifier(password, &v.salt, v.iterations) == verifier,
        None => false,
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(SqlState::IO_ERROR, format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CREATE ROLE r PASSWORD 'secret'` in PostgreSQL 15 stored this verifier.
    const POSTGRES_VERIFIER: &str = "SCRAM-SHA-256$4096:9AL6Sv3OEMUjcAn8nzjs7g==$2gpcW2Zq7JwyPZ3zrb+z9sj/CFtZKWa15CwdCC6I+nQ=:84Uwp2U3fp1DGVTO0edwU0biN8AYlazYk/iHc9yKrPc=";

    #[test]
    fn scram_verifier_matches_postgres() {
        let v = parse_scram(POSTGRES_VERIFIER).expect("a verifier");
        assert_eq!(v.iterations, 4096);
        assert_eq!(v.stored_key.len(), 32);
        assert_eq!(
            scram_verifier("secret", &v.salt, v.iterations),
            POSTGRES_VERIFIER
        );
        assert!(scram_matches(POSTGRES_VERIFIER, "secret"));
        assert!(!scram_matches(POSTGRES_VERIFIER, "Secret"));
    }

    fn statement(sql: &str) -> ast::Statement {
        match anchor_grammar::parse(sql).expect("parses").remove(0) {
            anchor_grammar::Statement::Sql(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn roles_survive_reopening() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let roles = Roles::open(dir.path()).expect("opens");
        assert_eq!(
            roles.get(BOOTSTRAP_ROLE).map(|r| r.oid),
            Some(BOOTSTRAP_ROLE_OID)
        );
        roles
            .execute(
                &statement("CREATE USER alice PASSWORD 'pw'"),
                BOOTSTRAP_ROLE,
            )
            .expect("creates");
        drop(roles);
        let again = Roles::open(dir.path()).expect("opens again");
        let alice = again.get("alice").expect("kept");
        assert!(alice.login && !alice.superuser);
        assert_eq!(alice.oid, FIRST_USER_OID);
        assert!(scram_matches(alice.password.as_deref().unwrap_or(""), "pw"));
        let err = again
            .execute(&statement("DROP ROLE anchor"), "alice")
            .expect_err("the bootstrap superuser stays");
        assert_eq!(err.sqlstate(), SqlState::OBJECT_IN_USE);
    }

    #[test]
    fn given_hashes_are_kept() {
        let md5 = "md5a3556571e93b0d20722ba62be61e8c2d";
        assert_eq!(password_verifier("r", md5), md5);
        assert_eq!(password_verifier("r", POSTGRES_VERIFIER), POSTGRES_VERIFIER);
        let fresh = password_verifier("r", "pw");
        assert!(fresh.starts_with("SCRAM-SHA-256$4096:"));
        assert!(scram_matches(&fresh, "pw"));
    }
}
