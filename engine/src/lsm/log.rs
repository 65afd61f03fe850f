//! Record logs: the framing shared by the write-ahead log and the manifest.
//!
//! ```text
//! file:   magic (4) | format version u32 (4) | record | record | ...
//! record: crc32 of payload u32 | payload length u32 | payload
//! ```
//! All integers are little-endian. A record that runs past the end of the file, or whose
//! checksum fails while it is the file's last record, is a torn write that was never
//! acknowledged: when the file is the newest of its kind it is cut off. Any other damage is
//! reported as corruption naming the file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const FILE_HEADER: usize = 8;
const RECORD_HEADER: usize = 8;
const VERSION: u32 = 1;

/// A record log open for appending.
pub struct LogWriter {
    path: PathBuf,
    file: File,
    len: u64,
}

impl LogWriter {
    /// Creates the file (failing if it exists), writes its header and syncs it and `dir`.
    pub fn create(path: &Path, magic: &[u8; 4]) -> Result<LogWriter> {
        let mut file = OpenOptions::new().create_new(true).write(true).open(path)?;
        write_header(&mut file, magic)?;
        if let Some(dir) = path.parent() {
            super::sync_dir(dir)?;
        }
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            len: FILE_HEADER as u64,
        })
    }

    /// Appends encoded records (see [`frame`]). If the write fails (a full disk), the file
    /// is cut back to where it was so that no partial record stays in the log.
    pub fn append(&mut self, records: &[u8]) -> Result<()> {
        match self.file.write_all(records) {
            Ok(()) => {
                self.len += records.len() as u64;
                Ok(())
            }
            Err(err) => {
                self.file.set_len(self.len).map_err(|e| {
                    Error::Io(format!(
                        "{err}; then cutting {} back failed: {e}",
                        self.path.display()
                    ))
                })?;
                self.file.seek(SeekFrom::Start(self.len))?;
                Err(err.into())
            }
        }
    }

    /// Makes everything appended so far durable.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data()?;
        Ok(())
    }

    /// Bytes in the file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if the log holds no records.
    pub fn is_empty(&self) -> bool {
        self.len == FILE_HEADER as u64
    }
}

fn write_header(file: &mut File, magic: &[u8; 4]) -> Result<()> {
    let mut header = [0u8; FILE_HEADER];
    header[..4].copy_from_slice(magic);
    header[4..].copy_from_slice(&VERSION.to_le_bytes());
    file.write_all(&header)?;
    file.sync_all()?;
    Ok(())
}

/// Starts a record in `out`; returns the position to pass to [`finish_frame`] once the
/// payload has been appended.
pub fn begin_frame(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; RECORD_HEADER]);
    start
}

/// Fills in the header of the record begun at `start`.
pub fn finish_frame(out: &mut [u8], start: usize) {
    let payload = &out[start + RECORD_HEADER..];
    let crc = crc32fast::hash(payload);
    let len = payload.len() as u32;
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&len.to_le_bytes());
}

/// What reading a log found.
#[derive(Debug, Default)]
pub struct LogContents {
    /// The payloads of the whole records, in order.
    pub records: Vec<Vec<u8>>,
    /// Bytes of a torn tail that were cut off.
    pub cut_bytes: u64,
}

/// Reads the log at `path`. If `newest`, a torn tail is cut off the file; otherwise any
/// damage is corruption.
pub fn read(path: &Path, magic: &[u8; 4], newest: bool) -> Result<LogContents> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let corrupt = |detail: String| Error::corruption(path, detail);
    if data.len() < FILE_HEADER {
        if newest {
            // Created but its header never reached the disk: nothing was ever acknowledged.
            let mut file = OpenOptions::new().write(true).truncate(true).open(path)?;
            write_header(&mut file, magic)?;
            return Ok(LogContents {
                records: Vec::new(),
                cut_bytes: data.len() as u64,
            });
        }
        return Err(corrupt("file shorter than its header".into()));
    }
    if &data[..4] != magic {
        return Err(corrupt("bad magic number".into()));
    }
    let version = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    if version != VERSION {
        return Err(corrupt(format!("unknown format version {version}")));
    }
    let mut records = Vec::new();
    let mut pos = FILE_HEADER;
    while pos < data.len() {
        let header_end = pos + RECORD_HEADER;
        let end = data
            .get(pos + 4..header_end)
            .map(|len| header_end + u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize);
        let torn = match end {
            None => true,
            Some(end) if end > data.len() => true,
            Some(end) => {
                let crc =
                    u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]);
                if crc32fast::hash(&data[header_end..end]) == crc {
                    records.push(data[header_end..end].to_vec());
                    pos = end;
                    continue;
                }
                if end < data.len() {
                    return Err(corrupt(format!(
                        "checksum mismatch in record at offset {pos}"
                    )));
                }
                true
            }
        };
        debug_assert!(torn);
        if !newest {
            return Err(corrupt(format!("damaged record at offset {pos}")));
        }
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(pos as u64)?;
        file.sync_all()?;
        return Ok(LogContents {
            records,
            cut_bytes: (data.len() - pos) as u64,
        });
    }
    Ok(LogContents {
        records,
        cut_bytes: 0,
    })
}

/// Reads length-prefixed fields from a payload whose checksum already matched.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }
    /// A little-endian u8.
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    /// A little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    /// A little-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A u32 length followed by that many bytes.
    pub fn bytes(&mut self) -> Option<Vec<u8>> {
        let len = self.u32()? as usize;
        Some(self.take(len)?.to_vec())
    }
    /// True if everything was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Appends a u32 length and `bytes`.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}
