//! The manifest: the log of every change to the set of sorted tables.
//!
//! Each record is a [`Edit`]: tables added (with their level and metadata), tables removed,
//! and the counters that must survive a restart (next file number, oldest log still needed,
//! last sequence number). Start-up replays the edits to rebuild the tree, then writes a fresh
//! manifest holding one edit with the whole state (to a temporary file, renamed into place),
//! so the file never grows without bound. Framing and torn-tail rules are those of
//! [`log`](super::log).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::log::{self, LogWriter, Reader, put_bytes};
use super::table::TableMeta;
use crate::error::{Error, Result};

/// The magic number that opens a manifest.
pub const MAGIC: &[u8; 4] = b"AMAN";
/// The manifest's file name.
pub const FILE: &str = "MANIFEST";

/// One change of the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edit {
    /// Tables added, with their level.
    pub added: Vec<(u32, TableMeta)>,
    /// Tables removed, by level and id.
    pub removed: Vec<(u32, u64)>,
    /// The next unused file number.
    pub next_file: Option<u64>,
    /// The oldest write-ahead log whose writes are not all in tables yet.
    pub log_number: Option<u64>,
    /// The largest sequence number in any table.
    pub last_seq: Option<u64>,
}

/// The tree as the manifest describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeState {
    /// Tables by level, by id.
    pub levels: Vec<BTreeMap<u64, TableMeta>>,
    /// The next unused file number.
    pub next_file: u64,
    /// The oldest log still needed.
    pub log_number: u64,
    /// The largest sequence number in any table.
    pub last_seq: u64,
}

impl TreeState {
    fn apply(&mut self, edit: &Edit, path: &Path) -> Result<()> {
        for (level, id) in &edit.removed {
            let removed = self
                .levels
                .get_mut(*level as usize)
                .and_then(|l| l.remove(id));
            if removed.is_none() {
                return Err(Error::corruption(
                    path,
                    format!("edit removes unknown table {id}"),
                ));
            }
        }
        for (level, meta) in &edit.added {
            let level = *level as usize;
            if level >= 64 {
                return Err(Error::corruption(
                    path,
                    format!("table {} at level {level}", meta.id),
                ));
            }
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, BTreeMap::new);
            }
            self.levels[level].insert(meta.id, meta.clone());
        }
        if let Some(n) = edit.next_file {
            self.next_file = self.next_file.max(n);
        }
        if let Some(n) = edit.log_number {
            self.log_number = self.log_number.max(n);
        }
        if let Some(n) = edit.last_seq {
            self.last_seq = self.last_seq.max(n);
        }
        Ok(())
    }

    /// The edit that recreates this state from nothing.
    fn snapshot(&self) -> Edit {
        Edit {
            added: self
                .levels
                .iter()
                .enumerate()
                .flat_map(|(l, tables)| tables.values().map(move |m| (l as u32, m.clone())))
                .collect(),
            removed: Vec::new(),
            next_file: Some(self.next_file),
            log_number: Some(self.log_number),
            last_seq: Some(self.last_seq),
        }
    }
}

/// The open manifest.
pub struct Manifest {
    writer: LogWriter,
    path: PathBuf,
}

impl Manifest {
    /// Opens the manifest in `dir` (or starts a new one), returning the tree it describes and
    /// the bytes of a torn tail that were cut off. The manifest is rewritten compactly.
    pub fn open(dir: &Path) -> Result<(Manifest, TreeState, u64)> {
        let path = dir.join(FILE);
        let mut state = TreeState {
            next_file: 1,
            log_number: 0,
            ..TreeState::default()
        };
        let mut cut = 0;
        if path.exists() {
            // A manifest is born whole (written aside and renamed into place), so one without
            // its first record was damaged, not torn.
            if std::fs::metadata(&path)?.len() < 8 {
                return Err(Error::corruption(&path, "manifest shorter than its header"));
            }
            let contents = log::read(&path, MAGIC, true)?;
            if contents.records.is_empty() {
                return Err(Error::corruption(&path, "manifest holds no state"));
            }
            cut = contents.cut_bytes;
            for (i, payload) in contents.records.iter().enumerate() {
                let edit = decode_edit(payload).ok_or_else(|| {
                    Error::corruption(&path, format!("malformed edit number {i}"))
                })?;
                state.apply(&edit, &path)?;
            }
        }
        let tmp = dir.join(format!("{FILE}.tmp"));
        if tmp.exists() {
            std::fs::remove_file(&tmp)?;
        }
        let mut writer = LogWriter::create(&tmp, MAGIC)?;
        let mut buf = Vec::new();
        encode_edit(&mut buf, &state.snapshot());
        writer.append(&buf)?;
        writer.sync()?;
        std::fs::rename(&tmp, &path)?;
        super::sync_dir(dir)?;
        Ok((Manifest { writer, path }, state, cut))
    }

    /// Appends `edit` and syncs it: once this returns, the change survives a crash.
    pub fn write(&mut self, edit: &Edit) -> Result<()> {
        let mut buf = Vec::new();
        encode_edit(&mut buf, edit);
        self.writer.append(&buf)?;
        self.writer.sync()
    }

    /// The manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the manifest file.
    pub fn len(&self) -> u64 {
        self.writer.len()
    }

    /// True if the manifest holds no edits (never the case once open).
    pub fn is_empty(&self) -> bool {
        self.writer.is_empty()
    }
}

fn put_opt(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
        None => out.push(0),
    }
}

fn encode_edit(out: &mut Vec<u8>, edit: &Edit) {
    let start = log::begin_frame(out);
    out.extend_from_slice(&(edit.added.len() as u32).to_le_bytes());
    for (level, m) in &edit.added {
        out.extend_from_slice(&level.to_le_bytes());
        for n in [
            m.id,
            m.file_size,
            m.min_seq,
            m.max_seq,
            m.entries,
            m.range_tombstones,
            m.data_bytes,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        put_bytes(out, &m.smallest);
        put_bytes(out, &m.largest);
    }
    out.extend_from_slice(&(edit.removed.len() as u32).to_le_bytes());
    for (level, id) in &edit.removed {
        out.extend_from_slice(&level.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    put_opt(out, edit.next_file);
    put_opt(out, edit.log_number);
    put_opt(out, edit.last_seq);
    log::finish_frame(out, start);
}

fn decode_edit(payload: &[u8]) -> Option<Edit> {
    let mut r = Reader(payload);
    let opt = |r: &mut Reader| -> Option<Option<u64>> {
        match r.u8()? {
            0 => Some(None),
            1 => Some(Some(r.u64()?)),
            _ => None,
        }
    };
    let mut edit = Edit::default();
    for _ in 0..r.u32()? {
        let level = r.u32()?;
        let mut n = [0u64; 7];
        for v in &mut n {
            *v = r.u64()?;
        }
        let [
            id,
            file_size,
            min_seq,
            max_seq,
            entries,
            range_tombstones,
            data_bytes,
        ] = n;
        let smallest = r.bytes()?;
        let largest = r.bytes()?;
        edit.added.push((
            level,
            TableMeta {
                id,
                file_size,
                smallest,
                largest,
                min_seq,
                max_seq,
                entries,
                range_tombstones,
                data_bytes,
            },
        ));
    }
    for _ in 0..r.u32()? {
        edit.removed.push((r.u32()?, r.u64()?));
    }
    edit.next_file = opt(&mut r)?;
    edit.log_number = opt(&mut r)?;
    edit.last_seq = opt(&mut r)?;
    r.is_empty().then_some(edit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: u64) -> TableMeta {
        TableMeta {
            id,
            file_size: id * 100,
            smallest: vec![id as u8],
            largest: vec![id as u8, 0xff],
            min_seq: id,
            max_seq: id * 2,
            entries: 7,
            range_tombstones: 1,
            data_bytes: 70,
        }
    }

    #[test]
    fn edits_survive_reopen_and_compaction_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, state, cut) = Manifest::open(dir.path()).unwrap();
        assert_eq!(cut, 0);
        assert!(state.levels.is_empty());
        m.write(&Edit {
            added: vec![(0, meta(1)), (0, meta(2))],
            next_file: Some(3),
            ..Edit::default()
        })
        .unwrap();
        m.write(&Edit {
            added: vec![(1, meta(3))],
            removed: vec![(0, 1)],
            next_file: Some(4),
            log_number: Some(9),
            last_seq: Some(42),
        })
        .unwrap();
        drop(m);
        let (_, state, _) = Manifest::open(dir.path()).unwrap();
        assert_eq!(
            state.levels[0].values().cloned().collect::<Vec<_>>(),
            vec![meta(2)]
        );
        assert_eq!(
            state.levels[1].values().cloned().collect::<Vec<_>>(),
            vec![meta(3)]
        );
        assert_eq!(
            (state.next_file, state.log_number, state.last_seq),
            (4, 9, 42)
        );
        let (_, again, _) = Manifest::open(dir.path()).unwrap();
        assert_eq!(again, state);
    }

    #[test]
    fn damage_is_cut_or_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, _, _) = Manifest::open(dir.path()).unwrap();
        for i in 1..6 {
            m.write(&Edit {
                added: vec![(0, meta(i))],
                next_file: Some(i + 1),
                ..Edit::default()
            })
            .unwrap();
        }
        drop(m);
        let path = dir.path().join(FILE);
        let full = std::fs::read(&path).unwrap();
        for pos in 0..full.len() {
            let mut bad = full.clone();
            bad[pos] ^= 0x41;
            std::fs::write(&path, &bad).unwrap();
            match Manifest::open(dir.path()) {
                // Only a cut tail may be lost, and what is left is a prefix of the edits.
                Ok((_, state, cut)) => {
                    assert!(cut > 0, "flip at {pos} went unnoticed");
                    let ids: Vec<u64> = state
                        .levels
                        .first()
                        .map(|l| l.keys().copied().collect())
                        .unwrap_or_default();
                    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
                }
                Err(Error::Corruption { path: p, .. }) => assert_eq!(p, path),
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
}
