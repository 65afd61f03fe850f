//! Recorded pass counts: a TSV of `file<TAB>passed`, one line per file.
//!
//! CI runs the corpus and fails if a file passes fewer records than recorded (`--check`);
//! after an improvement, `--record` raises the numbers. Lines starting with `#` are comments.
//! File names are relative to the counts file's folder, so the file means the same from any
//! working directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Minimum pass counts by file name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// File name (relative to the counts file's folder, `/`-separated) to passed records.
    pub passed: BTreeMap<String, usize>,
}

impl Counts {
    /// Reads a counts file; a missing file reads as empty.
    pub fn read(path: &Path) -> std::io::Result<Counts> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Counts::default()),
            Err(e) => return Err(e),
        };
        let mut passed = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: expected `file<TAB>passed`", path.display(), i + 1),
                )
            };
            let (file, n) = line.split_once('\t').ok_or_else(bad)?;
            passed.insert(file.to_string(), n.trim().parse().map_err(|_| bad())?);
        }
        Ok(Counts { passed })
    }

    /// Writes the counts, sorted by file name.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::from(
            "# file\tpassed (minimum; anchor-slt --check compares, --record updates)\n",
        );
        for (file, n) in &self.passed {
            text.push_str(&format!("{file}\t{n}\n"));
        }
        std::fs::write(path, text)
    }

    /// The name a test file has in the counts file at `counts_path`.
    pub fn key(counts_path: &Path, file: &Path) -> String {
        let base = counts_path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| p.canonicalize().ok());
        let file_abs = file.canonicalize().unwrap_or_else(|_| PathBuf::from(file));
        let relative = base
            .and_then(|b| file_abs.strip_prefix(b).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| file.to_path_buf());
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("counts.tsv");
        assert_eq!(Counts::read(&path).unwrap(), Counts::default());
        let mut counts = Counts::default();
        counts.passed.insert("sqlite/select1.test".into(), 1031);
        counts.passed.insert("a.slt".into(), 3);
        counts.write(&path).unwrap();
        assert_eq!(Counts::read(&path).unwrap(), counts);

        std::fs::create_dir(dir.path().join("sqlite")).unwrap();
        let file = dir.path().join("sqlite").join("x.test");
        std::fs::write(&file, "").unwrap();
        assert_eq!(Counts::key(&path, &file), "sqlite/x.test");
    }
}
