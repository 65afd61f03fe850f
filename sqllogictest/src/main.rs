//! `anchor-slt`: runs sqllogictest files against a PostgreSQL-protocol server.
//!
//! ```text
//! anchor-slt --pg "host=127.0.0.1 port=5432 user=postgres dbname=postgres" sqllogictest/sqlite/select1.test
//! anchor-slt --pg "..." --check sqllogictest/counts-postgresql.tsv sqllogictest/sqlite
//! anchor-slt --pg "..." --complete sqllogictest/suites/basic.slt
//! ```
//!
//! Prints one line per file and a closing `total: N passed / N failed / N skipped` line (not
//! in the `N passed, N failed` form that CI systems read as a test runner's verdict: records
//! that fail on purpose, being SQLite-only, are not test failures). Exits non-zero
//! when a file cannot be run, when `--check` finds a file below its recorded count, or (without
//! `--check`) when any record failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anchor_query::Cluster;
use anchor_sqllogictest::anchor::AnchorBackend;
use anchor_sqllogictest::counts::Counts;
use anchor_sqllogictest::format::Conventions;
use anchor_sqllogictest::pg::{PgBackend, TempDatabase};
use anchor_sqllogictest::{Report, RunOptions, complete_file, run_file};
use clap::Parser;

/// Runs sqllogictest files (`.slt` and SQLite's `.test`) against Anchor in-process (the
/// default: each file on a fresh in-memory database) or a PostgreSQL-protocol server (--pg).
#[derive(Parser, Debug)]
#[command(name = "anchor-slt")]
struct Args {
    /// Connection string of the server (libpq style or URL). Each file runs in a fresh
    /// database created through it, unless --no-fresh-db.
    #[arg(long)]
    pg: Option<String>,
    /// Run the files in the database of --pg itself instead of a fresh one per file.
    #[arg(long)]
    no_fresh_db: bool,
    /// Run only the first N records of each file.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Rewrite the expected output of the (`.slt`) files from the server's answers.
    #[arg(long, conflicts_with_all = ["check", "record"])]
    complete: bool,
    /// Fail if a file passes fewer records than this counts file records.
    #[arg(long, value_name = "COUNTS_FILE")]
    check: Option<PathBuf>,
    /// Write the pass counts of these files into this counts file (other entries are kept).
    #[arg(long, value_name = "COUNTS_FILE")]
    record: Option<PathBuf>,
    /// Labels for skipif/onlyif, replacing the default `postgresql` and `postgres`.
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    /// Print booleans in `I` columns as 1/0, as SQLite does.
    #[arg(long)]
    bool_as_int: bool,
    /// Print every failure in full (by default the first 3 of each file, first line only).
    #[arg(short, long)]
    verbose: bool,
    /// Files, or folders searched for `.test` and `.slt` files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "test" || e == "slt") {
            out.push(entry);
        }
    }
    Ok(())
}

fn run_one(args: &Args, options: &RunOptions, file: &Path) -> Result<Report, String> {
    let Some(pg) = &args.pg else {
        let db = Cluster::memory().map_err(|e| format!("cannot create a database: {e}"))?;
        let result = if args.complete {
            complete_file(file, || AnchorBackend::new(&db), options).map(|()| Report::default())
        } else {
            run_file(file, || AnchorBackend::new(&db), options)
        };
        return result.map_err(|e| e.to_string());
    };
    let result = if args.no_fresh_db {
        let conninfo = pg.clone();
        if args.complete {
            complete_file(file, || PgBackend::connect(&conninfo), options)
                .map(|()| Report::default())
        } else {
            run_file(file, || PgBackend::connect(&conninfo), options)
        }
    } else {
        let db = TempDatabase::create(pg).map_err(|e| format!("cannot create a database: {e}"))?;
        if args.complete {
            complete_file(file, || db.connect(), options).map(|()| Report::default())
        } else {
            run_file(file, || db.connect(), options)
        }
    };
    result.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut options = RunOptions {
        limit: args.limit,
        conventions: Conventions {
            bool_as_int: args.bool_as_int,
        },
        ..RunOptions::default()
    };
    if !args.labels.is_empty() {
        options.labels = args.labels.clone();
    }

    let mut files = Vec::new();
    for path in &args.files {
        if let Err(e) = collect(path, &mut files) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let counts_path = args.check.as_ref().or(args.record.as_ref());
    let counts = match counts_path.map(|p| Counts::read(p)) {
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        Some(Ok(c)) => c,
        None => Counts::default(),
    };

    let mut total = Report::default();
    let mut broken = false;
    let mut regressions = Vec::new();
    let mut recorded = counts.clone();
    for file in &files {
        let started = Instant::now();
        let report = match run_one(&args, &options, file) {
            Ok(report) => report,
            Err(e) => {
                println!("{}: error: {e}", file.display());
                broken = true;
                continue;
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        if args.complete {
            println!("{}: completed ({seconds:.1} s)", file.display());
            continue;
        }
        println!(
            "{} passed / {} failed / {} skipped  {}  ({seconds:.1} s)",
            report.passed,
            report.failed,
            report.skipped,
            file.display()
        );
        let shown = if args.verbose { usize::MAX } else { 3 };
        for failure in report.failures.iter().take(shown) {
            if args.verbose {
                println!("  line {}:\n{}\n", failure.line, indent(&failure.message));
            } else {
                println!("  line {}: {}", failure.line, summary(&failure.message));
            }
        }
        if report.failures.len() > shown {
            println!(
                "  ... and {} more (-v shows all)",
                report.failures.len() - shown
            );
        }
        if let Some(path) = counts_path {
            let key = Counts::key(path, file);
            if let Some(&minimum) = counts.passed.get(&key)
                && report.passed < minimum
            {
                regressions.push(format!(
                    "{key}: {} passed, {minimum} recorded",
                    report.passed
                ));
            }
            recorded.passed.insert(key, report.passed);
        }
        total.passed += report.passed;
        total.failed += report.failed;
        total.skipped += report.skipped;
    }

    if let Some(path) = &args.record
        && let Err(e) = recorded.write(path)
    {
        eprintln!("{}: {e}", path.display());
        broken = true;
    }
    for regression in &regressions {
        println!("regression: {regression}");
    }
    if !args.complete {
        println!(
            "total: {} passed / {} failed / {} skipped",
            total.passed, total.failed, total.skipped
        );
    }
    let failed = if args.check.is_some() {
        !regressions.is_empty()
    } else {
        total.failed > 0 && args.record.is_none()
    };
    if broken || failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of a failure and the start of its SQL, on one line.
fn summary(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim_end_matches(':');
    let sql = message
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("[SQL]"))
        .map(str::trim)
        .unwrap_or("");
    let mut line = if sql.is_empty() || first.contains(sql) {
        first.to_string()
    } else {
        format!("{first}: {sql}")
    };
    if line.chars().count() > 160 {
        line = line.chars().take(157).collect::<String>() + "...";
    }
    line
}
