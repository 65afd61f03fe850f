//! Session settings (PostgreSQL's GUCs): `SET`, `SHOW`, `RESET`, `current_setting` and
//! `set_config`.
//!
//! Each known setting has a definition: its canonical name (`TimeZone`, `DateStyle`, ...), a
//! kind that validates input and prints the canonical value (`SHOW work_mem` is `4MB` however
//! it was set), a default, and whether it can be changed at all. Names are case-insensitive.
//! A name with a dot (`myapp.tenant`) is a custom setting, as in PostgreSQL: any value is
//! accepted. Any other unknown name is 42704.
//!
//! Settings are transactional, as in PostgreSQL. A session value set inside a transaction
//! block is undone by `ROLLBACK` (or `ROLLBACK TO` a savepoint taken before it); `SET LOCAL`
//! (and `set_config(..., true)`) lasts until the end of the transaction, commit or not. So
//! [`Variables`] keeps two maps, session and local, and a stack of snapshots: one taken when a
//! block begins and one per savepoint.

use std::collections::{BTreeMap, HashMap};

use crate::catalog::Oid;
use crate::error::{Error, Result, SqlState};
use crate::types::{self, DateStyle, IntervalStyle, TimeZone};

/// The version we report (`server_version`, `version()`).
pub const SERVER_VERSION: &str = "15.18";
/// `server_version_num`.
pub const SERVER_VERSION_NUM: &str = "150018";

/// How a setting's value is read and printed.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Bool,
    Int(i64, i64),
    /// A duration whose unit is the millisecond.
    Millis,
    /// A size whose unit is the kilobyte.
    Kilobytes,
    Enum(&'static [&'static str]),
    Text,
    TimeZone,
    DateStyle,
    IntervalStyle,
    SearchPath,
    Encoding,
}

/// One setting's definition.
struct Def {
    name: &'static str,
    kind: Kind,
    default: &'static str,
    /// False for read-only settings (`server_version`): SET is 55P02.
    settable: bool,
    description: &'static str,
}

const ISOLATION: &[&str] = &[
    "serializable",
    "repeatable read",
    "read committed",
    "read uncommitted",
];

const fn def(
    name: &'static str,
    kind: Kind,
    default: &'static str,
    description: &'static str,
) -> Def {
    Def {
        name,
        kind,
        default,
        settable: true,
        description,
    }
}

const fn fixed(name: &'static str, default: &'static str, description: &'static str) -> Def {
    Def {
        name,
        kind: Kind::Text,
        default,
        settable: false,
        description,
    }
}

/// Every known setting, sorted by lowercase name.
static DEFS: &[Def] = &[
    def(
        "application_name",
        Kind::Text,
        "",
        "Sets the application name to be reported in statistics and logs.",
    ),
    def(
        "bytea_output",
        Kind::Enum(&["hex"]),
        "hex",
        "Sets the output format for bytea.",
    ),
    def(
        "check_function_bodies",
        Kind::Bool,
        "on",
        "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE.",
    ),
    def(
        "client_encoding",
        Kind::Encoding,
        "UTF8",
        "Sets the client's character set encoding.",
    ),
    def(
        "client_min_messages",
        Kind::Enum(&[
            "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error",
        ]),
        "notice",
        "Sets the message levels that are sent to the client.",
    ),
    def(
        "DateStyle",
        Kind::DateStyle,
        "ISO, MDY",
        "Sets the display format for date and time values.",
    ),
    def(
        "default_table_access_method",
        Kind::Enum(&["heap"]),
        "heap",
        "Sets the default table access method for new tables.",
    ),
    def(
        "default_tablespace",
        Kind::Text,
        "",
        "Sets the default tablespace to create tables and indexes in.",
    ),
    def(
        "default_transaction_isolation",
        Kind::Enum(ISOLATION),
        "read committed",
        "Sets the transaction isolation level of each new transaction.",
    ),
    def(
        "default_transaction_read_only",
        Kind::Bool,
        "off",
        "Sets the default read-only status of new transactions.",
    ),
    def(
        "enable_hashjoin",
        Kind::Bool,
        "on",
        "Enables the planner's use of hash join plans.",
    ),
    def(
        "enable_indexscan",
        Kind::Bool,
        "on",
        "Enables the planner's use of index-scan plans.",
    ),
    def(
        "enable_mergejoin",
        Kind::Bool,
        "on",
        "Enables the planner's use of merge join plans.",
    ),
    def(
        "enable_nestloop",
        Kind::Bool,
        "on",
        "Enables the planner's use of nested-loop join plans.",
    ),
    def(
        "enable_seqscan",
        Kind::Bool,
        "on",
        "Enables the planner's use of sequential-scan plans.",
    ),
    def(
        "enable_sort",
        Kind::Bool,
        "on",
        "Enables the planner's use of explicit sort steps.",
    ),
    def(
        "extra_float_digits",
        Kind::Int(-15, 3),
        "1",
        "Sets the number of digits displayed for floating-point values.",
    ),
    def(
        "idle_in_transaction_session_timeout",
        Kind::Millis,
        "0",
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    fixed(
        "in_hot_standby",
        "off",
        "Shows whether hot standby is currently active.",
    ),
    fixed(
        "integer_datetimes",
        "on",
        "Shows whether datetimes are integer based.",
    ),
    def(
        "IntervalStyle",
        Kind::IntervalStyle,
        "postgres",
        "Sets the display format for interval values.",
    ),
    fixed(
        "is_superuser",
        "on",
        "Shows whether the current user is a superuser.",
    ),
    def("jit", Kind::Bool, "off", "Allow JIT compilation."),
    fixed("lc_collate", "C", "Shows the collation order locale."),
    fixed(
        "lc_ctype",
        "C",
        "Shows the character classification and case conversion locale.",
    ),
    def(
        "lc_messages",
        Kind::Text,
        "C",
        "Sets the language in which messages are displayed.",
    ),
    def(
        "lc_monetary",
        Kind::Text,
        "C",
        "Sets the locale for formatting monetary amounts.",
    ),
    def(
        "lc_numeric",
        Kind::Text,
        "C",
        "Sets the locale for formatting numbers.",
    ),
    def(
        "lc_time",
        Kind::Text,
        "C",
        "Sets the locale for formatting date and time values.",
    ),
    def(
        "lock_timeout",
        Kind::Millis,
        "0",
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    fixed(
        "max_identifier_length",
        "63",
        "Shows the maximum identifier length.",
    ),
    def("row_security", Kind::Bool, "on", "Enable row security."),
    def(
        "search_path",
        Kind::SearchPath,
        "\"$user\", public",
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    fixed(
        "server_encoding",
        "UTF8",
        "Shows the server (database) character set encoding.",
    ),
    fixed(
        "server_version",
        SERVER_VERSION,
        "Shows the server version.",
    ),
    fixed(
        "server_version_num",
        SERVER_VERSION_NUM,
        "Shows the server version as an integer.",
    ),
    def(
        "session_authorization",
        Kind::Text,
        "anchor",
        "Sets the session user name.",
    ),
    def(
        "standard_conforming_strings",
        Kind::Enum(&["on"]),
        "on",
        "Causes '...' strings to treat backslashes literally.",
    ),
    def(
        "statement_timeout",
        Kind::Millis,
        "0",
        "Sets the maximum allowed duration of any statement.",
    ),
    def(
        "synchronous_commit",
        Kind::Enum(&["local", "remote_write", "remote_apply", "on", "off"]),
        "on",
        "Sets the current transaction's synchronization level.",
    ),
    def(
        "TimeZone",
        Kind::TimeZone,
        "Etc/UTC",
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    def(
        "timezone_abbreviations",
        Kind::Text,
        "Default",
        "Selects a file of time zone abbreviations.",
    ),
    def(
        "transaction_isolation",
        Kind::Enum(ISOLATION),
        "read committed",
        "Sets the current transaction's isolation level.",
    ),
    def(
        "transaction_read_only",
        Kind::Bool,
        "off",
        "Sets the current transaction's read-only status.",
    ),
    def(
        "work_mem",
        Kind::Kilobytes,
        "4096",
        "Sets the maximum memory to be used for query workspaces.",
    ),
    def(
        "xmloption",
        Kind::Enum(&["content", "document"]),
        "content",
        "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments.",
    ),
];

fn find(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The canonical name of `name` (`timezone` → `TimeZone`), or the lowercase custom name.
pub fn canonical_name(name: &str) -> Result<String> {
    match find(name) {
        Some(d) => Ok(d.name.to_string()),
        None if name.contains('.') => Ok(name.to_lowercase()),
        None => Err(unrecognized(name)),
    }
}

fn unrecognized(name: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

fn invalid(name: &str, value: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{name}\": \"{value}\""),
    )
}

/// Splits `"1.5 s"` into a number and a unit.
fn number_and_unit(value: &str) -> Option<(f64, String)> {
    let v = value.trim();
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(v.len());
    let n: f64 = v[..end].parse().ok()?;
    Some((n, v[end..].trim().to_string()))
}

/// Reads a value of `kind` and returns its canonical form.
fn normalize(d: &Def, value: &str, current: &str) -> Result<String> {
    let name = d.name;
    Ok(match d.kind {
        Kind::Bool => match types::text::parse_bool(value) {
            Ok(true) => "on".into(),
            Ok(false) => "off".into(),
            Err(_) => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("parameter \"{name}\" requires a Boolean value"),
                ));
            }
        },
        Kind::Int(min, max) => {
            let n: i64 = value.trim().parse().map_err(|_| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"{name}\": \"{value}\""),
                )
            })?;
            if n < min || n > max {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "{n} is outside the valid range for parameter \"{name}\" ({min} .. {max})"
                    ),
                ));
            }
            n.to_string()
        }
        Kind::Millis => {
            let (n, unit) = number_and_unit(value).ok_or_else(|| invalid(name, value))?;
            let factor = match unit.as_str() {
                "" | "ms" => 1.0,
                "us" => 0.001,
                "s" => 1000.0,
                "min" => 60_000.0,
                "h" => 3_600_000.0,
                "d" => 86_400_000.0,
                _ => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    )
                    .with_hint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."));
                }
            };
            let ms = (n * factor).round();
            if !(0.0..=i32::MAX as f64).contains(&ms) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "{} ms is outside the valid range for parameter \"{name}\" (0 .. {})",
                        ms,
                        i32::MAX
                    ),
                ));
            }
            (ms as i64).to_string()
        }
        Kind::Kilobytes => {
            let (n, unit) = number_and_unit(value).ok_or_else(|| invalid(name, value))?;
            let factor = match unit.as_str() {
                "" | "kB" => 1.0,
                "B" => 1.0 / 1024.0,
                "MB" => 1024.0,
                "GB" => 1024.0 * 1024.0,
                "TB" => 1024.0 * 1024.0 * 1024.0,
                _ => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    )
                    .with_hint("Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\"."));
                }
            };
            let kb = (n * factor).round();
            if !(64.0..=i32::MAX as f64).contains(&kb) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "{kb} kB is outside the valid range for parameter \"{name}\" (64 .. {})",
                        i32::MAX
                    ),
                ));
            }
            (kb as i64).to_string()
        }
        Kind::Enum(options) => {
            let lower = value.trim().to_lowercase();
            match options.iter().find(|o| **o == lower) {
                Some(o) => o.to_string(),
                None if options.len() == 1 => {
                    return Err(Error::unsupported(format!("{name} = {value}")));
                }
                None => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    )
                    .with_hint(format!("Available values: {}.", options.join(", "))));
                }
            }
        }
        Kind::Text => value.to_string(),
        Kind::TimeZone => {
            TimeZone::parse(value)?;
            value.to_string()
        }
        Kind::DateStyle => {
            let current = DateStyle::parse(current, DateStyle::default()).unwrap_or_default();
            DateStyle::parse(value, current)?.name()
        }
        Kind::IntervalStyle => IntervalStyle::parse(value)?.name().to_string(),
        Kind::SearchPath => value.to_string(),
        Kind::Encoding => match value.trim().to_uppercase().replace(['-', '_'], "").as_str() {
            "UTF8" | "UNICODE" => "UTF8".into(),
            _ => {
                return Err(Error::unsupported(format!(
                    "client_encoding \"{value}\" (only UTF8)"
                )));
            }
        },
    })
}

/// Prints a canonical value as `SHOW` does (`4096` kB is `4MB`).
fn display(d: Option<&Def>, value: &str) -> String {
    let Some(d) = d else {
        return value.to_string();
    };
    match d.kind {
        Kind::Millis => {
            let ms: i64 = value.parse().unwrap_or(0);
            if ms == 0 {
                return "0".into();
            }
            for (unit, size) in [
                ("d", 86_400_000),
                ("h", 3_600_000),
                ("min", 60_000),
                ("s", 1000),
            ] {
                if ms % size == 0 {
                    return format!("{}{unit}", ms / size);
                }
            }
            format!("{ms}ms")
        }
        Kind::Kilobytes => {
            let kb: i64 = value.parse().unwrap_or(0);
            for (unit, size) in [("TB", 1 << 30), ("GB", 1 << 20), ("MB", 1 << 10)] {
                if kb % size == 0 {
                    return format!("{}{unit}", kb / size);
                }
            }
            format!("{kb}kB")
        }
        _ => value.to_string(),
    }
}

/// The saved state of the maps, restored by a rollback.
#[derive(Clone, Debug)]
struct Snapshot {
    savepoint: Option<String>,
    session: BTreeMap<String, String>,
    local: BTreeMap<String, String>,
}

/// One session's settings, and its sequence values (`currval`, `lastval`), which are
/// session state that no rollback undoes.
#[derive(Clone, Debug)]
pub struct Variables {
    /// The database the session is connected to (`current_database()`).
    pub database: String,
    /// The last value `nextval` or `setval` gave each sequence in this session.
    pub currval: HashMap<Oid, i64>,
    /// The last value `nextval` or `setval` gave in this session.
    pub lastval: Option<i64>,
    /// Values set for the session, by canonical name.
    session: BTreeMap<String, String>,
    /// Values set for the current transaction only.
    local: BTreeMap<String, String>,
    /// Snapshots: the first one is the start of the transaction block.
    saved: Vec<Snapshot>,
    /// The role the session is connected as (`session_user`, and `current_user` unless
    /// SET SESSION AUTHORIZATION changed it).
    pub user: String,
    /// The cluster the session's database belongs to, for the cluster-wide catalogs
    /// (roles, databases).
    pub cluster: Option<std::sync::Arc<crate::cluster::Cluster>>,
}

impl Default for Variables {
    fn default() -> Self {
        Variables {
            database: crate::cluster::INITIAL_DATABASES[0].to_string(),
            currval: HashMap::new(),
            lastval: None,
            session: BTreeMap::new(),
            local: BTreeMap::new(),
            saved: Vec::new(),
            user: crate::roles::BOOTSTRAP_ROLE.to_string(),
            cluster: None,
        }
    }
}

impl Variables {
    /// The value in force, in canonical form; `None` for an unset custom setting.
    fn raw(&self, name: &str) -> Result<Option<String>> {
        let name = canonical_name(name)?;
        if let Some(v) = self.local.get(&name).or_else(|| self.session.get(&name)) {
            return Ok(Some(v.clone()));
        }
        if name == "session_authorization" {
            return Ok(Some(self.user.clone()));
        }
        if name == "is_superuser"
            && let Some(cluster) = &self.cluster
        {
            let superuser = cluster.role(&self.user).is_some_and(|r| r.superuser);
            return Ok(Some(if superuser { "on" } else { "off" }.to_string()));
        }
        // Outside a transaction, its characteristics are the defaults for the next one.
        if let Some(default) = name.strip_prefix("transaction_") {
            return self.raw(&format!("default_transaction_{default}"));
        }
        Ok(find(&name).map(|d| d.default.to_string()))
    }

    /// The value as `SHOW` and `current_setting` print it (42704 for an unknown name).
    pub fn show(&self, name: &str) -> Result<String> {
        match self.raw(name)? {
            Some(v) => Ok(display(find(name), &v)),
            None => Err(unrecognized(name)),
        }
    }

    /// Every known setting as `pg_settings` lists it: name, value as SHOW prints it,
    /// description, whether SET may change it, its default.
    pub fn settings_table(&self) -> Vec<(&'static str, String, &'static str, bool, &'static str)> {
        DEFS.iter()
            .map(|d| {
                let value = self.show(d.name).unwrap_or_default();
                (d.name, value, d.description, d.settable, d.default)
            })
            .collect()
    }

    /// Like [`show`](Self::show), but `None` for an unknown name (`current_setting(name, true)`).
    pub fn show_if_exists(&self, name: &str) -> Option<String> {
        self.show(name).ok()
    }

    /// The value of a duration setting in milliseconds (0: none).
    pub fn millis(&self, name: &str) -> u64 {
        self.raw(name)
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The value of a size setting in kilobytes (`work_mem`); 0 if unset.
    pub fn kilobytes(&self, name: &str) -> u64 {
        self.millis(name)
    }

    /// The value of a boolean setting.
    pub fn flag(&self, name: &str) -> bool {
        self.raw(name).ok().flatten().as_deref() == Some("on")
    }

    /// Sets `name`; `None` means back to the default. `local` is `SET LOCAL`, which only
    /// matters inside a transaction block (the caller checks that).
    pub fn set(&mut self, name: &str, value: Option<&str>, local: bool) -> Result<()> {
        let canonical = canonical_name(name)?;
        let d = find(&canonical);
        if let Some(d) = d
            && !d.settable
        {
            return Err(Error::new(
                SqlState::CANT_CHANGE_RUNTIME_PARAM,
                format!("parameter \"{}\" cannot be changed", d.name),
            ));
        }
        let value = match (value, d) {
            (None, _) => None,
            (Some(v), Some(d)) => {
                let current = self.raw(&canonical)?.unwrap_or_default();
                Some(normalize(d, v, &current)?)
            }
            (Some(v), None) => Some(v.to_string()),
        };
        if local {
            match value {
                Some(v) => self.local.insert(canonical, v),
                None => match d {
                    Some(d) => self.local.insert(canonical, d.default.to_string()),
                    None => self.local.insert(canonical, String::new()),
                },
            };
        } else {
            self.local.remove(&canonical);
            match value {
                Some(v) => self.session.insert(canonical, v),
                None => self.session.remove(&canonical),
            };
        }
        Ok(())
    }

    /// `RESET ALL`: every session value back to its default.
    pub fn reset_all(&mut self) {
        self.session
            .retain(|name, _| find(name).is_none_or(|d| !d.settable));
        self.local.clear();
    }

    /// Every known setting with its value and description (`SHOW ALL`), by name.
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = DEFS
            .iter()
            .map(|d| {
                (
                    d.name.to_string(),
                    self.show(d.name).unwrap_or_default(),
                    d.description.to_string(),
                )
            })
            .collect();
        for name in self.session.keys().chain(self.local.keys()) {
            if find(name).is_none() && !out.iter().any(|(n, _, _)| n == name) {
                out.push((
                    name.clone(),
                    self.show(name).unwrap_or_default(),
                    String::new(),
                ));
            }
        }
        out.sort_by_key(|(n, _, _)| n.to_lowercase());
        out
    }

    /// The value-level settings the type system needs.
    pub fn types(&self) -> types::Settings {
        let get = |n: &str| self.raw(n).ok().flatten().unwrap_or_default();
        types::Settings {
            timezone: TimeZone::parse(&get("TimeZone")).unwrap_or_default(),
            datestyle: DateStyle::parse(&get("DateStyle"), DateStyle::default())
                .unwrap_or_default(),
            extra_float_digits: get("extra_float_digits").parse().unwrap_or(1),
            interval_style: IntervalStyle::parse(&get("IntervalStyle")).unwrap_or_default(),
            now: None,
            statement_now: None,
        }
    }

    /// The schemas of `search_path`, in order (`$user` left out: there are no user schemas).
    pub fn search_path(&self) -> Vec<String> {
        let path = self.raw("search_path").ok().flatten().unwrap_or_default();
        path.split(',')
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\"\"", "\""),
                    None => s.to_lowercase(),
                },
            )
            .filter(|s| s != "$user")
            .collect()
    }

    /// A transaction block begins.
    pub fn begin(&mut self) {
        self.saved.clear();
        self.saved.push(self.snapshot(None));
    }

    /// The block commits: session values stay, local ones end.
    pub fn commit(&mut self) {
        self.saved.clear();
        self.local.clear();
    }

    /// The block rolls back: everything set inside it is undone.
    pub fn rollback(&mut self) {
        if let Some(first) = self.saved.first() {
            self.session = first.session.clone();
        }
        self.saved.clear();
        self.local.clear();
    }

    /// A savepoint is taken.
    pub fn savepoint(&mut self, name: &str) {
        let s = self.snapshot(Some(name.to_string()));
        self.saved.push(s);
    }

    /// `ROLLBACK TO name`: values go back to what they were at the savepoint, which stays.
    pub fn rollback_to(&mut self, name: &str) {
        if let Some(i) = self.position(name) {
            self.saved.truncate(i + 1);
            self.session = self.saved[i].session.clone();
            self.local = self.saved[i].local.clone();
        }
    }

    /// `RELEASE name`: the savepoint and those after it go; values stay.
    pub fn release(&mut self, name: &str) {
        if let Some(i) = self.position(name) {
            self.saved.truncate(i);
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.saved
            .iter()
            .rposition(|s| s.savepoint.as_deref() == Some(name))
    }

    fn snapshot(&self, savepoint: Option<String>) -> Snapshot {
        Snapshot {
            savepoint,
            session: self.session.clone(),
            local: self.local.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_values() {
        let mut v = Variables::default();
        v.set("WORK_MEM", Some("64MB"), false).unwrap();
        assert_eq!(v.show("work_mem").unwrap(), "64MB");
        v.set("work_mem", Some("100"), false).unwrap();
        assert_eq!(v.show("work_mem").unwrap(), "100kB");
        v.set("statement_timeout", Some("1500"), false).unwrap();
        assert_eq!(v.show("statement_timeout").unwrap(), "1500ms");
        v.set("statement_timeout", Some("2min"), false).unwrap();
        assert_eq!(v.show("statement_timeout").unwrap(), "2min");
        assert_eq!(v.millis("statement_timeout"), 120_000);
        v.set("datestyle", Some("dmy"), false).unwrap();
        assert_eq!(v.show("DateStyle").unwrap(), "ISO, DMY");
        assert!(v.set("extra_float_digits", Some("4"), false).is_err());
        assert!(v.set("jit", Some("maybe"), false).is_err());
        assert!(v.set("nonsense", Some("1"), false).is_err());
        assert!(v.set("server_version", Some("1"), false).is_err());
        v.set("my.thing", Some("x"), false).unwrap();
        assert_eq!(v.show("MY.THING").unwrap(), "x");
    }

    #[test]
    fn transactional() {
        let mut v = Variables::default();
        v.set("application_name", Some("a"), false).unwrap();
        v.begin();
        v.set("application_name", Some("b"), false).unwrap();
        v.savepoint("s");
        v.set("application_name", Some("c"), false).unwrap();
        v.set("TimeZone", Some("Europe/Paris"), true).unwrap();
        v.rollback_to("s");
        assert_eq!(v.show("application_name").unwrap(), "b");
        assert_eq!(v.show("TimeZone").unwrap(), "Etc/UTC");
        v.set("TimeZone", Some("Europe/Paris"), true).unwrap();
        v.commit();
        assert_eq!(v.show("application_name").unwrap(), "b");
        assert_eq!(v.show("TimeZone").unwrap(), "Etc/UTC");
        v.begin();
        v.set("application_name", Some("z"), false).unwrap();
        v.rollback();
        assert_eq!(v.show("application_name").unwrap(), "b");
        v.reset_all();
        assert_eq!(v.show("application_name").unwrap(), "");
        assert_eq!(v.search_path(), vec!["public".to_string()]);
    }
}
