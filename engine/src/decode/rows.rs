//! Rows of a binary COPY stream that arrives in pieces: each whole row is handed on as its
//! fields, so memory holds one piece and at most one row.

use crate::archive::BINARY_SIGNATURE;

/// Receives each row's fields (`None` = NULL).
pub type RowSink<'a, E> = &'a mut dyn FnMut(&[Option<&[u8]>]) -> Result<(), E>;

/// Splits a binary COPY stream into rows.
#[derive(Default)]
pub struct RowReader {
    pending: Vec<u8>,
    header_done: bool,
    ended: bool,
}

impl RowReader {
    /// Takes the next piece; calls `row` with the fields (`None` = NULL) of every row completed.
    pub fn feed<E: From<String>>(&mut self, piece: &[u8], row: RowSink<'_, E>) -> Result<(), E> {
        if self.ended && !piece.is_empty() {
            return Err(E::from("bytes after the binary COPY trailer".to_string()));
        }
        self.pending.extend_from_slice(piece);
        let mut pos = 0;
        if !self.header_done {
            if self.pending.len() < 19 {
                return Ok(());
            }
            if &self.pending[..11] != BINARY_SIGNATURE {
                return Err(E::from("not a binary COPY stream".to_string()));
            }
            let ext = i32::from_be_bytes(self.pending[15..19].try_into().expect("4 bytes")).max(0) as usize;
            if self.pending.len() < 19 + ext {
                return Ok(());
            }
            pos = 19 + ext;
            self.header_done = true;
        }
        let mut fields: Vec<Option<&[u8]>> = Vec::new();
        let buf = &self.pending;
        while let Some(count) = buf.get(pos..pos + 2) {
            let count = i16::from_be_bytes([count[0], count[1]]);
            if count == -1 {
                self.ended = true;
                pos += 2;
                if pos != buf.len() {
                    return Err(E::from("bytes after the binary COPY trailer".to_string()));
                }
                break;
            }
            let mut at = pos + 2;
            fields.clear();
            let mut whole = true;
            for _ in 0..count.max(0) {
                let Some(len) = buf.get(at..at + 4) else {
                    whole = false;
                    break;
                };
                let len = i32::from_be_bytes(len.try_into().expect("4 bytes"));
                at += 4;
                if len < 0 {
                    fields.push(None);
                    continue;
                }
                let Some(value) = buf.get(at..at + len as usize) else {
                    whole = false;
                    break;
                };
                fields.push(Some(value));
                at += len as usize;
            }
            if !whole {
                break;
            }
            row(&fields)?;
            pos = at;
        }
        drop(fields);
        self.pending.drain(..pos);
        Ok(())
    }

    /// Checks the stream ended with its trailer.
    pub fn finish(&self) -> Result<(), String> {
        if self.ended {
            Ok(())
        } else {
            Err("the binary COPY stream ends without its trailer".into())
        }
    }
}
