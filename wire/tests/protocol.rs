//! The protocol against an in-process server: tokio-postgres for the simple and extended
//! protocols (binary parameters and results, errors, portals, cancel), raw sockets for the
//! exact messages (ParameterStatus, tags, ReadyForQuery status) and for malformed input,
//! and psql.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls};

mod common;

use common::server;

async fn connect(port: u16) -> Client {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=anchor dbname=anchor"),
        NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(connection);
    client
}

/// A value of any type in its binary form, as the server sent it or as we send it.
#[derive(Debug, Clone, PartialEq)]
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl ToSql for Raw {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A raw protocol connection.
struct Wire {
    stream: TcpStream,
}

/// A backend message: its type byte and body.
type Msg = (u8, Vec<u8>);

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn startup_packet(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend(cstr(k));
        body.extend(cstr(v));
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

impl Wire {
    async fn open(port: u16) -> Wire {
        Wire {
            stream: TcpStream::connect(("127.0.0.1", port)).await.expect("tcp"),
        }
    }

    /// Connects and returns the start-up answer up to ReadyForQuery.
    async fn start(port: u16, params: &[(&str, &str)]) -> (Wire, Vec<Msg>) {
        let mut w = Wire::open(port).await;
        w.stream
            .write_all(&startup_packet(params))
            .await
            .expect("write");
        let msgs = w.until_ready().await;
        (w, msgs)
    }

    async fn send(&mut self, ty: u8, body: &[u8]) {
        let mut m = vec![ty];
        m.extend(((body.len() + 4) as i32).to_be_bytes());
        m.extend(body);
        self.stream.write_all(&m).await.expect("write");
    }

    async fn query(&mut self, sql: &str) -> Vec<Msg> {
        self.send(b'Q', &cstr(sql)).await;
        self.until_ready().await
    }

    /// The next message; `None` when the server closed the connection.
    async fn read(&mut self) -> Option<Msg> {
        let read = async {
            let ty = self.stream.read_u8().await.ok()?;
            let len = self.stream.read_i32().await.ok()?;
            let mut body = vec![0; usize::try_from(len - 4).ok()?];
            self.stream.read_exact(&mut body).await.ok()?;
            Some((ty, body))
        };
        tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .expect("the server neither answered nor closed")
    }

    async fn until_ready(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        while let Some(m) = self.read().await {
            let done = m.0 == b'Z';
            out.push(m);
            if done {
                break;
            }
        }
        out
    }
}

fn text(body: &[u8]) -> Vec<String> {
    body.split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).to_string())
        .collect()
}

/// `(name, value)` of every ParameterStatus.
fn parameters(msgs: &[Msg]) -> Vec<(String, String)> {
    msgs.iter()
        .filter(|m| m.0 == b'S')
        .map(|m| {
            let t = text(&m.1);
            (t[0].clone(), t[1].clone())
        })
        .collect()
}

/// The tag of every CommandComplete, `E:<SQLSTATE>` for errors, `I` for EmptyQueryResponse,
/// `Z:<status>` for ReadyForQuery, `1` for ParseComplete, `2` BindComplete, `s`
/// PortalSuspended, `D` DataRow, `T` RowDescription, `n` NoData, `t` ParameterDescription.
fn summary(msgs: &[Msg]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m.0 != b'S')
        .map(|(ty, body)| match ty {
            b'C' => text(body)[0].clone(),
            b'E' => format!("E:{}", field(body, b'C').unwrap_or_default()),
            b'Z' => format!("Z:{}", body[0] as char),
            other => (*other as char).to_string(),
        })
        .collect()
}

/// A field of an ErrorResponse.
fn field(body: &[u8], code: u8) -> Option<String> {
    let mut rest = body;
    while let Some((&c, tail)) = rest.split_first() {
        if c == 0 {
            break;
        }
        let end = tail.iter().position(|b| *b == 0)?;
        if c == code {
            return Some(String::from_utf8_lossy(&tail[..end]).to_string());
        }
        rest = &tail[end + 1..];
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_reports_parameters_and_key() {
    let port = server().await;
    let (_, msgs) = Wire::start(
        port,
        &[
            ("user", "anchor"),
            ("database", "anchor"),
            ("application_name", "wiretest"),
        ],
    )
    .await;
    assert_eq!(msgs.first().map(|m| m.0), Some(b'R'));
    let params = parameters(&msgs);
    for (name, value) in [
        ("server_version", "15.18"),
        ("DateStyle", "ISO, MDY"),
        ("client_encoding", "UTF8"),
        ("server_encoding", "UTF8"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("IntervalStyle", "postgres"),
        ("TimeZone", "Etc/UTC"),
        ("session_authorization", "anchor"),
        ("application_name", "wiretest"),
        ("is_superuser", "on"),
    ] {
        assert!(
            params.iter().any(|(n, v)| n == name && v == value),
            "{name}={value} missing from {params:?}"
        );
    }
    assert!(msgs.iter().any(|m| m.0 == b'K' && m.1.len() == 8));
    assert_eq!(summary(&msgs).last().map(String::as_str), Some("Z:I"));

    // The database defaults to the user name: `anchor` exists.
    let (_, msgs) = Wire::start(port, &[("user", "anchor")]).await;
    assert_eq!(summary(&msgs).last().map(String::as_str), Some("Z:I"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_roles_and_roles_without_login_are_fatal_28000() {
    let port = server().await;
    for (user, message) in [
        ("alice", "role \"alice\" does not exist"),
        ("quiet", "role \"quiet\" is not permitted to log in"),
    ] {
        if user == "quiet" {
            let client = connect(port).await;
            client
                .batch_execute("CREATE ROLE quiet NOLOGIN; CREATE USER bob")
                .await
                .expect("roles");
        }
        let (_, msgs) = Wire::start(port, &[("user", user), ("database", "anchor")]).await;
        let error = msgs.iter().find(|m| m.0 == b'E').expect("an error");
        assert_eq!(field(&error.1, b'S').as_deref(), Some("FATAL"));
        assert_eq!(field(&error.1, b'C').as_deref(), Some("28000"));
        assert_eq!(field(&error.1, b'M').as_deref(), Some(message));
    }
    // A role created with LOGIN connects, and is the session's user.
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=bob dbname=anchor"),
        NoTls,
    )
    .await
    .expect("bob logs in");
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT current_user", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_database_is_fatal_3d000() {
    let port = server().await;
    let (mut w, msgs) = Wire::start(port, &[("user", "anchor"), ("database", "nosuch")]).await;
    let error = msgs.iter().find(|m| m.0 == b'E').expect("an error");
    assert_eq!(field(&error.1, b'S').as_deref(), Some("FATAL"));
    assert_eq!(field(&error.1, b'C').as_deref(), Some("3D000"));
    assert_eq!(
        field(&error.1, b'M').as_deref(),
        Some("database \"nosuch\" does not exist")
    );
    // The server closes the connection.
    while w.read().await.is_some() {}

    let err = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=anchor dbname=nosuch"),
        NoTls,
    )
    .await
    .err()
    .expect("no such database");
    assert_eq!(err.code().map(|c| c.code()), Some("3D000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_tags_errors_and_empty_queries() {
    let port = server().await;
    let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;
    let msgs = w
        .query(
            "create table t (a int primary key); insert into t values (1), (2); \
             select a from t order by a; update t set a = a + 10; delete from t where a = 11; \
             select 1/0; select 2",
        )
        .await;
    assert_eq!(
        summary(&msgs),
        [
            "CREATE TABLE",
            "INSERT 0 2",
            "T",
            "D",
            "D",
            "SELECT 2",
            "UPDATE 2",
            "DELETE 1",
            "E:22012",
            "Z:I"
        ]
    );
    let error = msgs.iter().find(|m| m.0 == b'E').expect("error");
    assert_eq!(field(&error.1, b'M').as_deref(), Some("division by zero"));
    assert_eq!(field(&error.1, b'S').as_deref(), Some("ERROR"));
    assert_eq!(field(&error.1, b'V').as_deref(), Some("ERROR"));

    // RowDescription: type OIDs, sizes and typmods of the columns.
    let msgs = w
        .query(
            "create table m (v varchar(10), n numeric(8,2), c char(3), i int8); \
             select * from m",
        )
        .await;
    let description = msgs.iter().find(|m| m.0 == b'T').expect("RowDescription");
    let mut body = &description.1[2..];
    let mut fields = Vec::new();
    while let Some(end) = body.iter().position(|b| *b == 0) {
        let name = String::from_utf8_lossy(&body[..end]).to_string();
        let f = &body[end + 1..end + 19];
        let oid = u32::from_be_bytes([f[6], f[7], f[8], f[9]]);
        let size = i16::from_be_bytes([f[10], f[11]]);
        let typmod = i32::from_be_bytes([f[12], f[13], f[14], f[15]]);
        fields.push((name, oid, size, typmod));
        body = &body[end + 19..];
    }
    assert_eq!(
        fields,
        [
            ("v".to_string(), 1043, -1, 14),
            ("n".to_string(), 1700, -1, (8 << 16 | 2) + 4),
            ("c".to_string(), 1042, -1, 7),
            ("i".to_string(), 20, 8, -1),
        ]
    );

    for empty in ["", ";", "-- ping", "/* nothing */ ;"] {
        assert_eq!(summary(&w.query(empty).await), ["I", "Z:I"], "{empty:?}");
    }
    let msgs = w.query("selec 1").await;
    let error = msgs.iter().find(|m| m.0 == b'E').expect("error");
    assert_eq!(field(&error.1, b'C').as_deref(), Some("42601"));
    assert!(
        field(&error.1, b'P').is_some(),
        "syntax errors carry a position"
    );

    // Text output as psql shows it.
    let msgs = w
        .query("select true, 1.50::numeric(5,2), '\\x0102'::bytea, array[1,2], null::int, 1e100::float8")
        .await;
    let row = msgs.iter().find(|m| m.0 == b'D').expect("row");
    let mut body = &row.1[2..];
    let mut values = Vec::new();
    while body.len() >= 4 {
        let len = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
        body = &body[4..];
        if len < 0 {
            values.push(None);
        } else {
            values.push(Some(
                String::from_utf8_lossy(&body[..len as usize]).to_string(),
            ));
            body = &body[len as usize..];
        }
    }
    assert_eq!(
        values,
        [
            Some("t".into()),
            Some("1.50".into()),
            Some("\\x0102".into()),
            Some("{1,2}".into()),
            None,
            Some("1e+100".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_status_follows_the_session() {
    let port = server().await;
    let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;
    let steps = [
        ("begin", "Z:T"),
        ("savepoint s", "Z:T"),
        ("select 1/0", "Z:E"),
        ("select 1", "Z:E"),
        ("rollback to savepoint s", "Z:T"),
        ("select 1", "Z:T"),
        ("commit", "Z:I"),
        ("begin; select 1/0", "Z:E"),
        ("commit", "Z:I"),
    ];
    for (sql, status) in steps {
        let msgs = w.query(sql).await;
        assert_eq!(
            summary(&msgs).last().map(String::as_str),
            Some(status),
            "{sql}"
        );
    }
    let msgs = w.query("begin; select 1/0").await;
    assert!(summary(&msgs).contains(&"E:22012".to_string()));
    let msgs = w.query("select 1").await;
    assert_eq!(summary(&msgs), ["E:25P02", "Z:E"]);
    let msgs = w.query("commit").await;
    assert_eq!(summary(&msgs), ["ROLLBACK", "Z:I"]);

    // A changed reported setting is announced before ReadyForQuery, once.
    let msgs = w.query("set application_name = 'svc'").await;
    assert_eq!(
        parameters(&msgs),
        [("application_name".to_string(), "svc".to_string())]
    );
    assert_eq!(summary(&msgs), ["SET", "Z:I"]);
    let msgs = w
        .query("set datestyle = 'dmy'; set timezone = 'Europe/Paris'")
        .await;
    let params = parameters(&msgs);
    assert!(params.contains(&("DateStyle".into(), "ISO, DMY".into())));
    assert!(params.contains(&("TimeZone".into(), "Europe/Paris".into())));
    assert!(parameters(&w.query("select 1").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_protocol_binary_values_round_trip() {
    let port = server().await;
    let client = connect(port).await;
    let cases = [
        ("true", "boolean"),
        ("-7", "smallint"),
        ("123456", "integer"),
        ("-9000000000", "bigint"),
        ("1.5", "real"),
        ("-2.25e-5", "double precision"),
        ("12345.678", "numeric"),
        ("-0.000100", "numeric(10,6)"),
        ("héllo", "text"),
        ("ab", "varchar(5)"),
        ("ab", "char(4)"),
        ("\\x00ff10", "bytea"),
        ("2024-02-29", "date"),
        ("infinity", "date"),
        ("13:14:15.5", "time"),
        ("1999-12-31 23:59:59.999999", "timestamp"),
        ("2024-01-02 03:04:05+02", "timestamptz"),
        ("1 year 2 mons 3 days 04:05:06.7", "interval"),
        ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid"),
        ("{\"a\": [1, 2]}", "json"),
        ("{\"b\": 1, \"a\": true}", "jsonb"),
        ("{1,NULL,3}", "integer[]"),
        ("{a,\"b c\"}", "text[]"),
        ("{1.5,2.25}", "numeric[]"),
    ];
    for (literal, ty) in cases {
        let quoted = literal.replace('\'', "''");
        let expected: String = client
            .simple_query(&format!("select '{quoted}'::{ty}::text"))
            .await
            .expect("text")
            .into_iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .expect("a row");
        // Binary result...
        let row = client
            .query_one(&format!("select '{quoted}'::{ty}"), &[])
            .await
            .expect("binary result");
        let bytes: Raw = row.get(0);
        // ...sent back as a binary parameter reads as the same value.
        let stmt = client
            .prepare(&format!("select $1::{ty}::text"))
            .await
            .expect("prepare");
        let back: String = client
            .query_one(&stmt, &[&bytes])
            .await
            .unwrap_or_else(|e| panic!("{ty}: {e}"))
            .get(0);
        assert_eq!(back, expected, "{ty}");
    }

    // Native Rust values in binary, both ways.
    let row = client
        .query_one(
            "select $1::int8 + 1, $2::text || '!', $3::float8 * 2, not $4::bool, $5::int4[]",
            &[&41i64, &"hi", &1.25f64, &false, &vec![Some(1i32), None]],
        )
        .await
        .expect("typed parameters");
    assert_eq!(row.get::<_, i64>(0), 42);
    assert_eq!(row.get::<_, String>(1), "hi!");
    assert_eq!(row.get::<_, f64>(2), 2.5);
    assert!(row.get::<_, bool>(3));
    assert_eq!(row.get::<_, Vec<Option<i32>>>(4), vec![Some(1), None]);

    // The integer and float binary forms are PostgreSQL's.
    let row = client
        .query_one("select 1::int2, 2::int4, 3::int8, 1.0::float4", &[])
        .await
        .expect("ints");
    assert_eq!(row.get::<_, Raw>(0).0, [0, 1]);
    assert_eq!(row.get::<_, Raw>(1).0, [0, 0, 0, 2]);
    assert_eq!(row.get::<_, Raw>(2).0, [0, 0, 0, 0, 0, 0, 0, 3]);
    assert_eq!(row.get::<_, Raw>(3).0, 1.0f32.to_be_bytes());

    // Byte for byte what PostgreSQL 15's send functions give.
    let row = client
        .query_one(
            "select 12345.678, -0.000100::numeric(10,6), 'NaN'::numeric, '{\"a\":1}'::jsonb, \
             array[1, null, 3], '1 year 2 mons 3 days 04:05:06.7'::interval",
            &[],
        )
        .await
        .expect("send formats");
    let hex = |i: usize| -> String {
        row.get::<_, Raw>(i)
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(hex(0), "0003000100000003000109291a7c");
    assert_eq!(hex(1), "0001ffff400000060001");
    assert_eq!(hex(2), "00000000c0000000");
    assert_eq!(hex(3), "017b2261223a20317d");
    assert_eq!(
        hex(4),
        "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003"
    );
    assert_eq!(hex(5), "000000036c966ee0000000030000000e");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_types_are_inferred_and_errors_carry_sqlstate() {
    let port = server().await;
    let client = connect(port).await;
    client
        .batch_execute(
            "create table t (id int primary key, name text, price numeric(8,2), at timestamptz)",
        )
        .await
        .expect("create");
    let insert = client
        .prepare("insert into t (id, name, price) values ($1, $2, $3)")
        .await
        .expect("prepare insert");
    assert_eq!(insert.params(), [Type::INT4, Type::TEXT, Type::NUMERIC]);
    assert!(insert.columns().is_empty());
    for id in 1..=5 {
        let n = client
            .execute(&insert, &[&id, &format!("n{id}"), &Raw(numeric_bytes(id))])
            .await
            .expect("insert");
        assert_eq!(n, 1);
    }
    let select = client
        .prepare("select name, price from t where id = $1")
        .await
        .expect("prepare select");
    assert_eq!(select.params(), [Type::INT4]);
    assert_eq!(select.columns()[0].type_(), &Type::TEXT);
    assert_eq!(select.columns()[1].type_(), &Type::NUMERIC);
    let row = client.query_one(&select, &[&3i32]).await.expect("select");
    assert_eq!(row.get::<_, String>(0), "n3");

    // Client-declared types: smallint against an integer column, varchar against text.
    let typed = client
        .prepare_typed(
            "select count(*) from t where id > $1 and name <> $2",
            &[Type::INT2, Type::VARCHAR],
        )
        .await
        .expect("prepare typed");
    let n: i64 = client
        .query_one(&typed, &[&1i16, &"n5"])
        .await
        .expect("typed")
        .get(0);
    assert_eq!(n, 3);

    let err = client
        .execute(&insert, &[&1i32, &"dup", &Raw(numeric_bytes(1))])
        .await
        .expect_err("duplicate");
    assert_eq!(err.code().map(|c| c.code()), Some("23505"));
    let err = client
        .prepare("select nope from t")
        .await
        .expect_err("no column");
    assert_eq!(err.code().map(|c| c.code()), Some("42703"));
    let err = client.query("select 1/0", &[]).await.expect_err("div");
    assert_eq!(err.code().map(|c| c.code()), Some("22012"));
    // The connection goes on after errors.
    let n: i64 = client
        .query_one("select count(*) from t", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 5);
}

/// `n.00` as a binary numeric (n < 10000).
fn numeric_bytes(n: i32) -> Vec<u8> {
    let mut v = vec![0, 1, 0, 0, 0, 0, 0, 2];
    v.extend((n as i16).to_be_bytes());
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portals_return_rows_in_slices() {
    let port = server().await;
    let mut client = connect(port).await;
    let txn = client.transaction().await.expect("begin");
    let stmt = txn
        .prepare("select x from (values (1), (2), (3), (4), (5)) v(x) order by x")
        .await
        .expect("prepare");
    let portal = txn.bind(&stmt, &[]).await.expect("bind");
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    for _ in 0..4 {
        let rows = txn.query_portal(&portal, 2).await.expect("fetch");
        sizes.push(rows.len());
        all.extend(rows.iter().map(|r| r.get::<_, i32>(0)));
    }
    assert_eq!(sizes, [2, 2, 1, 0]);
    assert_eq!(all, [1, 2, 3, 4, 5]);
    let portal = txn.bind(&stmt, &[]).await.expect("bind");
    assert_eq!(txn.query_portal(&portal, 5).await.expect("all").len(), 5);
    assert_eq!(txn.query_portal(&portal, 5).await.expect("none").len(), 0);
    txn.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_extended_messages() {
    let port = server().await;
    let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;

    // Parse with no types, Describe, Flush without Sync: answered at once.
    let mut parse = cstr("s1");
    parse.extend(cstr("select $1::int + 1 as n"));
    parse.extend(0i16.to_be_bytes());
    w.send(b'P', &parse).await;
    let mut describe = vec![b'S'];
    describe.extend(cstr("s1"));
    w.send(b'D', &describe).await;
    w.send(b'H', &[]).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(w.read().await.expect("message"));
    }
    assert_eq!(summary(&got), ["1", "t", "T"]);
    assert_eq!(&got[1].1, &[0, 1, 0, 0, 0, 23]);

    // Bind with too many parameters: 08P01, then everything up to Sync is skipped.
    let bind = |params: &[&[u8]], result_formats: &[i16]| {
        let mut b = cstr("p1");
        b.extend(cstr("s1"));
        b.extend(0i16.to_be_bytes());
        b.extend((params.len() as i16).to_be_bytes());
        for p in params {
            b.extend((p.len() as i32).to_be_bytes());
            b.extend(*p);
        }
        b.extend((result_formats.len() as i16).to_be_bytes());
        for f in result_formats {
            b.extend(f.to_be_bytes());
        }
        b
    };
    let mut execute = cstr("p1");
    execute.extend(0i32.to_be_bytes());
    w.send(b'B', &bind(&[b"1", b"2"], &[])).await;
    w.send(b'E', &execute).await;
    w.send(b'S', &[]).await;
    let msgs = w.until_ready().await;
    assert_eq!(summary(&msgs), ["E:08P01", "Z:I"]);

    // Too many result formats, then a bad integer: errors at Bind.
    w.send(b'B', &bind(&[b"1"], &[1, 1])).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["E:08P01", "Z:I"]);
    w.send(b'B', &bind(&[b"x"], &[])).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["E:22P02", "Z:I"]);

    // A good Bind and Execute in text.
    w.send(b'B', &bind(&[b"41"], &[])).await;
    w.send(b'E', &execute).await;
    w.send(b'S', &[]).await;
    assert_eq!(
        summary(&w.until_ready().await),
        ["2", "D", "SELECT 1", "Z:I"]
    );

    // An unknown portal or statement, then a bare Sync.
    let mut missing = cstr("nope");
    missing.extend(0i32.to_be_bytes());
    w.send(b'E', &missing).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["E:34000", "Z:I"]);
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["Z:I"]);

    // A named statement is not replaced (42P05); the unnamed one is.
    let mut again = cstr("s1");
    again.extend(cstr("select 2"));
    again.extend(0i16.to_be_bytes());
    w.send(b'P', &again).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["E:42P05", "Z:I"]);

    // Close, then the statement is gone.
    let mut close = vec![b'S'];
    close.extend(cstr("s1"));
    w.send(b'C', &close).await;
    w.send(b'B', &bind(&[b"1"], &[])).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["3", "E:26000", "Z:I"]);

    // An error inside a transaction block fails the block.
    assert_eq!(summary(&w.query("begin").await), ["BEGIN", "Z:T"]);
    let mut parse = cstr("");
    parse.extend(cstr("select nope"));
    parse.extend(0i16.to_be_bytes());
    w.send(b'P', &parse).await;
    w.send(b'S', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["E:42703", "Z:E"]);
    assert_eq!(summary(&w.query("rollback").await), ["ROLLBACK", "Z:I"]);

    // A row limit on INSERT ... RETURNING: each Execute counts its own rows, as PostgreSQL.
    assert_eq!(
        summary(&w.query("create table r (a int)").await),
        ["CREATE TABLE", "Z:I"]
    );
    let mut parse = cstr("");
    parse.extend(cstr("insert into r values (1), (2), (3) returning a"));
    parse.extend(0i16.to_be_bytes());
    w.send(b'P', &parse).await;
    w.send(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]).await;
    for limit in [1i32, 5] {
        let mut execute = cstr("");
        execute.extend(limit.to_be_bytes());
        w.send(b'E', &execute).await;
    }
    w.send(b'S', &[]).await;
    assert_eq!(
        summary(&w.until_ready().await),
        ["1", "2", "D", "s", "D", "D", "INSERT 0 2", "Z:I"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_cancels_the_running_statement() {
    let port = server().await;
    let client = connect(port).await;
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let err = client
        .simple_query(
            "select count(*) from generate_series(1, 3000) a, generate_series(1, 3000) b, \
             generate_series(1, 3000) c",
        )
        .await
        .expect_err("canceled");
    assert_eq!(err.code().map(|c| c.code()), Some("57014"));
    canceller.await.expect("task").expect("cancel request");
    // The connection is still usable.
    let rows = client.simple_query("select 1").await.expect("after cancel");
    assert!(!rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_close_one_connection_only() {
    let port = server().await;
    let bystander = connect(port).await;
    let hostile: Vec<Vec<u8>> = vec![
        // A message claiming 4 GB.
        [b'Q']
            .into_iter()
            .chain(0xFFFF_FFF0u32.to_be_bytes())
            .collect(),
        // A length shorter than the length field.
        [b'Q'].into_iter().chain(2i32.to_be_bytes()).collect(),
        // An unknown message type.
        [b'y'].into_iter().chain(4i32.to_be_bytes()).collect(),
        // A truncated Bind.
        [b'B']
            .into_iter()
            .chain(8i32.to_be_bytes())
            .chain([0, 0, 0, 5])
            .collect(),
        // A Bind whose counts lie.
        [b'B']
            .into_iter()
            .chain(12i32.to_be_bytes())
            .chain([0, 0, 0x7F, 0xFF, 0, 0, 0, 0])
            .collect(),
        // A zero-length CopyData outside COPY.
        [b'd'].into_iter().chain(0i32.to_be_bytes()).collect(),
    ];
    for bytes in hostile {
        let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;
        w.stream.write_all(&bytes).await.expect("write");
        w.stream.shutdown().await.expect("shutdown");
        // The server answers with an error or closes; it never hangs. (`pgwire` reads a
        // Query shorter than its length field as an empty query: EmptyQueryResponse.)
        while let Some((ty, _)) = w.read().await {
            assert!(
                matches!(ty, b'E' | b'Z' | b'I'),
                "unexpected {} after {bytes:?}",
                ty as char
            );
        }
    }
    // Garbage instead of a start-up packet.
    let mut w = Wire::open(port).await;
    w.stream
        .write_all(&[0, 0, 0, 9, 1, 2, 3, 4, 5])
        .await
        .expect("write");
    w.stream.shutdown().await.expect("shutdown");
    while w.read().await.is_some() {}

    let rows = bystander.simple_query("select 1").await.expect("bystander");
    assert!(!rows.is_empty());
    let fresh = connect(port).await;
    let rows = fresh.simple_query("select 1").await.expect("fresh");
    assert!(!rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_and_out_in_text_csv_and_binary() {
    use futures::{SinkExt, TryStreamExt};
    let port = server().await;
    let client = connect(port).await;
    client
        .batch_execute(
            "create table c (a int, b text, d numeric); create table c2 (a int, b text, d numeric)",
        )
        .await
        .expect("create");

    // Text and CSV in, through the extended protocol (tokio-postgres).
    let sink = client
        .copy_in::<_, bytes::Bytes>("copy c from stdin")
        .await
        .expect("copy in");
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"1\tone\t1.5\n2\t\\N\t2\n"))
        .await
        .expect("data");
    assert_eq!(sink.finish().await.expect("done"), 2);
    let sink = client
        .copy_in::<_, bytes::Bytes>("copy c (a, b) from stdin with (format csv, header)")
        .await
        .expect("csv in");
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"a,b\n3,\"x,y\"\n"))
        .await
        .expect("data");
    sink.send(bytes::Bytes::from_static(b"4,\"\"\n"))
        .await
        .expect("data");
    assert_eq!(sink.finish().await.expect("done"), 2);

    let out = |sql: &'static str| {
        let client = &client;
        async move {
            let stream = client.copy_out(sql).await.expect("copy out");
            let chunks: Vec<bytes::Bytes> = stream.try_collect().await.expect("data");
            chunks.concat()
        }
    };
    assert_eq!(
        String::from_utf8(out("copy (select * from c order by a) to stdout").await).unwrap(),
        "1\tone\t1.5\n2\t\\N\t2\n3\tx,y\t\\N\n4\t\t\\N\n"
    );
    assert_eq!(
        String::from_utf8(
            out("copy (select * from c order by a) to stdout (format csv, header)").await
        )
        .unwrap(),
        "a,b,d\n1,one,1.5\n2,,2\n3,\"x,y\",\n4,\"\",\n"
    );

    // Binary out, then the same bytes in.
    let binary = out("copy c to stdout (format binary)").await;
    assert!(binary.starts_with(b"PGCOPY\n\xff\r\n\0"));
    let sink = client
        .copy_in::<_, bytes::Bytes>("copy c2 from stdin (format binary)")
        .await
        .expect("binary in");
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from(binary)).await.expect("data");
    assert_eq!(sink.finish().await.expect("done"), 4);
    let same: i64 = client
        .query_one(
            "select count(*) from c join c2 on c.a = c2.a and c.b is not distinct from c2.b \
             and c.d is not distinct from c2.d",
            &[],
        )
        .await
        .expect("compare")
        .get(0);
    assert_eq!(same, 4);

    // Bad data: the whole COPY is undone.
    let sink = client
        .copy_in::<_, bytes::Bytes>("copy c from stdin")
        .await
        .expect("copy in");
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"5\tfive\t5\nsix\t6\t6\n"))
        .await
        .expect("data");
    let err = sink.finish().await.expect_err("bad integer");
    assert_eq!(err.code().map(|c| c.code()), Some("22P02"));
    let err = client
        .simple_query("copy c from '/etc/passwd'")
        .await
        .expect_err("files");
    assert_eq!(err.code().map(|c| c.code()), Some("0A000"));

    // The simple protocol, as psql sends it, inside a transaction block.
    let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;
    assert_eq!(summary(&w.query("begin").await), ["BEGIN", "Z:T"]);
    w.send(b'Q', &cstr("copy c (a) from stdin")).await;
    let response = w.read().await.expect("CopyInResponse");
    assert_eq!(response.0, b'G');
    w.send(b'd', b"7\n8\n").await;
    w.send(b'c', &[]).await;
    assert_eq!(summary(&w.until_ready().await), ["COPY 2", "Z:T"]);
    w.send(b'Q', &cstr("copy c (a) from stdin")).await;
    assert_eq!(w.read().await.expect("CopyInResponse").0, b'G');
    w.send(b'd', b"9\n").await;
    w.send(b'f', &cstr("client gave up")).await;
    assert_eq!(summary(&w.until_ready().await), ["E:57014", "Z:E"]);
    assert_eq!(summary(&w.query("rollback").await), ["ROLLBACK", "Z:I"]);
    let n: i64 = client
        .query_one("select count(*) from c", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 4);
}

/// Random frames after start-up, some well-formed in length and random inside, some
/// random throughout: every connection ends in an answer or a close, and the server goes
/// on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_messages_never_stop_the_server() {
    let port = server().await;
    // A fixed-seed xorshift, so a failure reproduces.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let types = b"QPBDESHCXdcfpFy\0";
    for round in 0..60 {
        let (mut w, _) = Wire::start(port, &[("user", "anchor")]).await;
        let mut bytes = Vec::new();
        for _ in 0..(1 + next() % 4) {
            let body_len = (next() % 40) as usize;
            let body: Vec<u8> = (0..body_len).map(|_| next() as u8).collect();
            if round % 3 == 0 {
                bytes.extend(&body);
            } else {
                bytes.push(types[(next() % types.len() as u64) as usize]);
                bytes.extend(((body_len + 4) as i32).to_be_bytes());
                bytes.extend(&body);
            }
        }
        let _ = w.stream.write_all(&bytes).await;
        let _ = w.stream.shutdown().await;
        while w.read().await.is_some() {}
    }
    let client = connect(port).await;
    let rows = client
        .simple_query("select 1")
        .await
        .expect("still serving");
    assert!(!rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_talks_to_the_server() {
    let port = server().await;
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "anchor",
                "-d",
                "anchor",
                "-c",
                "create table p (a int, b text)",
                "-c",
                "insert into p values (1, 'one'), (2, null)",
                "-c",
                "select a, coalesce(b, 'null') from p order by a",
            ])
            .output()
    })
    .await
    .expect("task");
    // psql is part of the development machine (PostgreSQL 15's client); without it
    // there is nothing to check here.
    let Ok(output) = output else {
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "CREATE TABLE\nINSERT 0 2\n1|one\n2|null\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_initializes_and_runs_in_every_mode() {
    let port = server().await;
    let run = move |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("pgbench")
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "anchor"])
                .args(args)
                .arg("anchor")
                .output()
        })
    };
    // pgbench is part of the development machine (PostgreSQL 15's client tools); without
    // it there is nothing to check here.
    let Ok(init) = run(vec!["-i".into(), "-s".into(), "1".into()])
        .await
        .expect("task")
    else {
        return;
    };
    assert!(
        init.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    for mode in ["simple", "extended", "prepared"] {
        let out = run(vec![
            "-t".into(),
            "20".into(),
            "-c".into(),
            "2".into(),
            "-M".into(),
            mode.into(),
        ])
        .await
        .expect("task")
        .expect("pgbench");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("number of failed transactions: 0"),
            "pgbench -M {mode}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("number of transactions actually processed: 40/40"));
    }
}
