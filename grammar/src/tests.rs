use super::*;

fn one(sql: &str) -> ast::Statement {
    let mut statements = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    assert_eq!(statements.len(), 1, "{sql}");
    match statements.remove(0) {
        Statement::Sql(statement) => *statement,
        other => panic!("{sql}: not sqlparser's: {other:?}"),
    }
}

fn error(sql: &str) -> ParseError {
    parse(sql).expect_err(sql)
}

#[test]
fn several_statements_in_one_string() {
    let statements =
        parse("CREATE TABLE t (a int); INSERT INTO t VALUES (1);SELECT a FROM t").unwrap();
    assert_eq!(statements.len(), 3);
    assert_eq!(statements[2].to_string(), "SELECT a FROM t");
    assert!(matches!(
        &statements[0],
        Statement::Sql(s) if matches!(**s, ast::Statement::CreateTable(_))
    ));
}

#[test]
fn empty_input_and_comments_give_no_statements() {
    for sql in [
        "",
        "   \n\t",
        "-- nothing\n",
        "/* block */",
        ";;",
        " ; -- x\n ; /* y */",
    ] {
        assert_eq!(parse(sql).unwrap(), vec![], "{sql:?}");
    }
    let statements = parse("-- first\nSELECT 1 /* inline */ + 2; -- trailing").unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].to_string(), "SELECT 1 + 2");
}

#[test]
fn statement_texts_follow_the_source() {
    let sql = "SELECT 1;\n  -- note\n  SELECT 'a;b' ;; INSERT INTO t VALUES ($$x;y$$)  ";
    let parsed = parse_with_text(sql).unwrap();
    let texts: Vec<&str> = parsed.iter().map(|p| p.text).collect();
    assert_eq!(
        texts,
        [
            "SELECT 1",
            "-- note\n  SELECT 'a;b'",
            "INSERT INTO t VALUES ($$x;y$$)"
        ]
    );
    assert_eq!(parse_with_text("-- only a comment").unwrap(), vec![]);
    let parsed = parse_with_text("SELECT 'é' AS x -- c").unwrap();
    assert_eq!(parsed[0].text, "SELECT 'é' AS x");
}

#[test]
fn error_inside_the_input_points_at_the_token() {
    // Each checked against PostgreSQL 15: message and position as psql reports them.
    let e = error("SELECT 1 2");
    assert_eq!(e.message, r#"syntax error at or near "2""#);
    assert_eq!((e.line, e.column, e.position), (1, 10, Some(10)));
    assert!(
        e.detail.as_deref().unwrap_or("").contains("found: 2"),
        "{e:?}"
    );

    let e = error("SELECT 1;\nSELECT x FROM t WHERE a = = 1");
    assert_eq!(e.message, r#"syntax error at or near "=""#);
    assert_eq!((e.line, e.column, e.position), (2, 27, Some(37)));

    let e = error("SELEC 1");
    assert_eq!(e.message, r#"syntax error at or near "SELEC""#);
    assert_eq!(e.position, Some(1));

    // Positions count characters, not bytes.
    let e = error("SELECT 'é' FROM t t t");
    assert_eq!(e.message, r#"syntax error at or near "t""#);
    assert_eq!(e.position, Some(21));
}

#[test]
fn error_at_the_end_of_the_input() {
    let e = error("SELECT * FROM");
    assert_eq!(e.message, "syntax error at end of input");
    assert_eq!((e.line, e.column, e.position), (1, 14, Some(14)));

    let e = error("SELECT\n\t1 +");
    assert_eq!(e.message, "syntax error at end of input");
    assert_eq!((e.line, e.column, e.position), (2, 5, Some(12)));
}

#[test]
fn unterminated_tokens() {
    let e = error("SELECT 'abc");
    assert_eq!(e.message, r#"unterminated quoted string at or near "'abc""#);
    assert_eq!(e.position, Some(8));
    let e = error(r#"SELECT "abc"#);
    assert_eq!(
        e.message,
        r#"unterminated quoted identifier at or near ""abc""#
    );
    assert_eq!(e.position, Some(8));
    let e = error("SELECT $$abc");
    assert!(
        e.message.starts_with("unterminated dollar-quoted string"),
        "{e:?}"
    );
}

#[test]
fn postgres_syntax() {
    let s = one("SELECT a::int, '1'::bigint, CAST(b AS text) FROM t WHERE c = $1 AND d = $2");
    assert_eq!(
        s.to_string(),
        "SELECT a::INT, '1'::BIGINT, CAST(b AS TEXT) FROM t WHERE c = $1 AND d = $2"
    );

    let s = one(
        "INSERT INTO t (k, v) VALUES (1, 'x') ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING k, v",
    );
    let ast::Statement::Insert(insert) = s else {
        panic!("not an insert: {s}")
    };
    assert!(insert.on.is_some());
    assert!(insert.returning.is_some());

    let s = one("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    assert!(matches!(s, ast::Statement::CreateType { .. }), "{s:?}");

    one("DELETE FROM t WHERE k = 1 RETURNING *");
    one("UPDATE t SET v = v || 'x' WHERE k IN (1, 2) RETURNING v");
    one("SELECT ARRAY[1, 2], '{a,b}'::text[], (ARRAY[3, 4])[1]");
    one(r"SELECT E'line\nbreak', E'it\'s'");
    one("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql");
    one("SELECT $$dollar 'quoted' string$$, $tag$ with $$ inside $tag$");
    one("SELECT x FROM t WHERE name ILIKE 'a%' AND y IS DISTINCT FROM 3");
    one("SELECT * FROM generate_series(1, 3) AS g(i)");
}

#[test]
fn escapes_are_decoded() {
    let s = one(r"SELECT E'a\nb'");
    let ast::Statement::Query(query) = s else {
        panic!()
    };
    let ast::SetExpr::Select(select) = *query.body else {
        panic!()
    };
    let ast::SelectItem::UnnamedExpr(ast::Expr::Value(value)) = &select.projection[0] else {
        panic!("{:?}", select.projection)
    };
    assert_eq!(
        value.value,
        ast::Value::EscapedStringLiteral("a\nb".to_string())
    );
}

#[test]
fn maintenance_commands() {
    let stmts = parse("CHECKPOINT; vacuum analyze pgbench_branches; SELECT 1").unwrap();
    assert_eq!(stmts.len(), 3);
    assert_eq!(stmts[0], Statement::Maintenance(Maintenance::Checkpoint));
    match &stmts[1] {
        Statement::Maintenance(Maintenance::Vacuum { analyze, tables }) => {
            assert!(*analyze);
            assert_eq!(tables.len(), 1);
            assert_eq!(tables[0].to_string(), "pgbench_branches");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(stmts[2], Statement::Sql(_)));
    match &parse("VACUUM (VERBOSE, ANALYZE) s.t1 (a, b), t2").unwrap()[0] {
        Statement::Maintenance(Maintenance::Vacuum { analyze, tables }) => {
            assert!(*analyze);
            let names: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
            assert_eq!(names, ["s.t1", "t2"]);
        }
        other => panic!("{other:?}"),
    }
    match &parse("VACUUM FULL").unwrap()[0] {
        Statement::Maintenance(Maintenance::Vacuum { analyze, tables }) => {
            assert!(!*analyze);
            assert!(tables.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(parse("CHECKPOINT now").is_err());
    assert!(parse("VACUUM t +").is_err());
}

fn pg(sql: &str) -> PgStatement {
    let mut statements = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    assert_eq!(statements.len(), 1, "{sql}");
    match statements.remove(0) {
        Statement::Pg(statement) => statement,
        other => panic!("{sql}: not ours: {other:?}"),
    }
}

#[test]
fn sequence_options_in_any_order() {
    let s = one(
        "CREATE SEQUENCE public.s AS integer START WITH 5 INCREMENT BY 2 NO MINVALUE NO MAXVALUE CACHE 1;",
    );
    let ast::Statement::CreateSequence {
        name,
        data_type,
        sequence_options,
        ..
    } = s
    else {
        panic!("{s}")
    };
    assert_eq!(name.to_string(), "public.s");
    assert_eq!(data_type, Some(ast::DataType::Integer(None)));
    assert_eq!(sequence_options.len(), 5);
    assert!(matches!(
        sequence_options[0],
        ast::SequenceOptions::IncrementBy(..)
    ));
    assert!(matches!(
        sequence_options[3],
        ast::SequenceOptions::StartWith(..)
    ));
    // pg_dump's identity column, with a sequence name that is dropped.
    let s = one(
        "ALTER TABLE public.orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (\n    SEQUENCE NAME public.orders_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1\n)",
    );
    assert!(s.to_string().contains("INCREMENT BY 1"), "{s}");
    assert!(!s.to_string().contains("orders_id_seq"), "{s}");
    let s = one(
        "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 10), b int)",
    );
    assert!(
        s.to_string().contains("INCREMENT BY 10 START WITH 10"),
        "{s}"
    );
    // Two identity columns, each with its options out of order.
    let s = one(
        "CREATE TABLE t2 (a int GENERATED ALWAYS AS IDENTITY (START WITH 5 INCREMENT BY 5), b int GENERATED BY DEFAULT AS IDENTITY (START 7 INCREMENT 7))",
    );
    assert!(s.to_string().contains("INCREMENT BY 5 START WITH 5"), "{s}");
    assert!(s.to_string().contains("INCREMENT 7 START 7"), "{s}");
    // An identity option list left open is a syntax error, not a panic.
    let e = error(
        "CREATE TABLE t3 (a int GENERATED ALWAYS AS IDENTITY (START 1, b int GENERATED ALWAYS AS IDENTITY (START 2))",
    );
    assert!(e.message.starts_with("syntax error"), "{e:?}");
    // Several statements, only one of them rewritten.
    assert_eq!(
        parse("SELECT 1; CREATE SEQUENCE s START 3 INCREMENT 2; SELECT 2")
            .unwrap()
            .len(),
        3
    );
    let e = error("CREATE SEQUENCE s START WITH INCREMENT 2");
    assert!(e.message.starts_with("syntax error"), "{e:?}");
}

#[test]
fn alter_sequence() {
    let PgStatement::AlterSequence(a) =
        pg("ALTER SEQUENCE IF EXISTS s RESTART WITH -5 INCREMENT BY -1 MINVALUE -10 OWNED BY t.c")
    else {
        panic!()
    };
    assert!(a.if_exists);
    assert_eq!(a.name.to_string(), "s");
    assert_eq!(a.restart, Some(Some(-5)));
    assert_eq!(
        a.owned_by,
        Some(Some(ast::ObjectName::from(vec![
            ast::Ident::new("t"),
            ast::Ident::new("c")
        ])))
    );
    assert_eq!(a.options.len(), 2);
    let PgStatement::AlterSequence(a) = pg("alter sequence public.s owned by none") else {
        panic!()
    };
    assert_eq!(a.owned_by, Some(None));
    let PgStatement::AlterSequence(a) = pg("ALTER SEQUENCE s RESTART") else {
        panic!()
    };
    assert_eq!(a.restart, Some(None));
    let PgStatement::AlterSequence(a) = pg("ALTER SEQUENCE s RENAME TO \"T\"") else {
        panic!()
    };
    assert_eq!(a.rename, Some(ast::Ident::with_quote('"', "T")));
    for bad in [
        "ALTER SEQUENCE s",
        "ALTER SEQUENCE s RESTART WITH x",
        "ALTER SEQUENCE s FROBNICATE",
        "ALTER SEQUENCE s OWNED BY",
    ] {
        assert!(error(bad).message.starts_with("syntax error"), "{bad}");
    }
}

#[test]
fn insert_overriding_and_owner_to() {
    let PgStatement::InsertOverriding { insert, system } =
        pg("INSERT INTO public.t (a, b) OVERRIDING SYSTEM VALUE VALUES (1, 'x')")
    else {
        panic!()
    };
    assert!(system);
    assert_eq!(
        insert.to_string(),
        "INSERT INTO public.t (a, b) VALUES (1, 'x')"
    );
    assert!(matches!(
        pg("INSERT INTO t OVERRIDING USER VALUE SELECT 1"),
        PgStatement::InsertOverriding { system: false, .. }
    ));
    assert!(
        error("INSERT INTO t OVERRIDING ANY VALUE VALUES (1)")
            .message
            .starts_with("syntax error")
    );
    let PgStatement::SetSchema {
        kind,
        name,
        if_exists,
        schema,
    } = pg("ALTER TABLE IF EXISTS ONLY public.t SET SCHEMA archive")
    else {
        panic!()
    };
    assert_eq!(
        (
            kind.as_str(),
            name.to_string(),
            if_exists,
            schema.value.as_str()
        ),
        ("TABLE", "public.t".to_string(), true, "archive")
    );
    assert!(matches!(
        pg("alter sequence s set schema x"),
        PgStatement::SetSchema { .. }
    ));
    for (sql, kind, name) in [
        (
            "ALTER TYPE public.status OWNER TO postgres",
            "TYPE",
            "public.status",
        ),
        ("ALTER TABLE ONLY s.t OWNER TO bob", "TABLE", "s.t"),
        ("alter schema archive owner to \"Ann\"", "SCHEMA", "archive"),
    ] {
        let PgStatement::OwnerTo {
            kind: k, name: n, ..
        } = pg(sql)
        else {
            panic!("{sql}")
        };
        assert_eq!((k.as_str(), n.to_string().as_str()), (kind, name), "{sql}");
    }
}

#[test]
fn user_statements_are_role_statements() {
    let create = one("CREATE USER u1 WITH PASSWORD 'p' CREATEDB");
    assert_eq!(
        create.to_string(),
        "CREATE ROLE u1 CREATEDB LOGIN PASSWORD 'p'"
    );
    let nologin = one("create user u2 nologin");
    assert_eq!(nologin.to_string(), "CREATE ROLE u2 NOLOGIN");
    let alter = one("ALTER USER u1 NOCREATEDB");
    assert_eq!(alter.to_string(), "ALTER ROLE u1 WITH NOCREATEDB");
    // Only statements that begin with the words are rewritten.
    assert_eq!(one("SELECT user").to_string(), "SELECT user");
}

proptest::proptest! {
    /// The statements we read or rewrite ourselves never panic, whatever tokens follow their
    /// first words: they parse or answer a syntax error.
    #[test]
    fn our_statements_never_panic(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "ALTER", "CREATE", "INSERT", "INTO", "TABLE", "SEQUENCE", "TYPE", "IF", "EXISTS",
            "NOT", "ONLY", "t", "s", ".", ",", "(", ")", "-", "1", "'x'", "AS", "IDENTITY",
            "GENERATED", "ALWAYS", "START", "WITH", "INCREMENT", "BY", "NO", "MINVALUE",
            "MAXVALUE", "CACHE", "CYCLE", "OWNED", "NONE", "RESTART", "RENAME", "TO", "SET",
            "SCHEMA", "OWNER", "OVERRIDING", "SYSTEM", "USER", "VALUE", "VALUES", "NAME", ";",
        ]),
        0..24,
    )) {
        for first in ["ALTER SEQUENCE", "ALTER TABLE", "CREATE SEQUENCE", "CREATE TABLE t (a int", "INSERT INTO t"] {
            let _ = parse(&format!("{first} {}", words.join(" ")));
        }
    }
}
