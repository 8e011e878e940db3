//! Server-sent events: a parser of the `text/event-stream` format, and a stream of them read
//! from a response (natively and in the browser, where `EventSource` cannot send a bearer
//! token).

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};

/// One event of a stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// Its `id:`, if it had one.
    pub id: Option<String>,
    /// Its `event:` (`message` when it had none).
    pub event: String,
    /// Its `data:` lines, joined by newlines.
    pub data: String,
}

/// Splits text as it arrives into events (the WHATWG rules: lines end in LF, CRLF or CR; a
/// blank line ends an event; `:` lines are comments; `retry:` is ignored).
#[derive(Debug, Default)]
pub struct Parser {
    line: String,
    last_was_cr: bool,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds `text`; answers the events it completed.
    pub fn push(&mut self, text: &str) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for c in text.chars() {
            match c {
                '\n' if self.last_was_cr => self.last_was_cr = false,
                '\n' | '\r' => {
                    self.last_was_cr = c == '\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.end_line(&line) {
                        out.push(event);
                    }
                }
                _ => {
                    self.last_was_cr = false;
                    self.line.push(c);
                }
            }
        }
        out
    }

    fn end_line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| SseEvent {
                id: self.id.clone(),
                event: event.unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

// Natively the body can move between threads (a task per stream); in the browser it cannot.
#[cfg(not(target_arch = "wasm32"))]
type Bytes = Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>> + Send>>;
#[cfg(target_arch = "wasm32")]
type Bytes = Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>>>>;

/// The events of an open response, one at a time.
pub struct EventStream {
    body: Bytes,
    parser: Parser,
    ready: VecDeque<SseEvent>,
    pending: Vec<u8>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl EventStream {
    /// Reads `response`'s body as events.
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            body: Box::pin(response.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            parser: Parser::default(),
            ready: VecDeque::new(),
            pending: Vec::new(),
        }
    }

    /// The next event; `None` when the stream ends, an error when the connection fails.
    pub async fn next(&mut self) -> Option<crate::Result<SseEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            match self.body.next().await? {
                Ok(bytes) => {
                    self.pending.extend_from_slice(&bytes);
                    // A chunk may end inside a UTF-8 sequence: keep the incomplete tail.
                    let valid = match std::str::from_utf8(&self.pending) {
                        Ok(_) => self.pending.len(),
                        Err(e) if e.error_len().is_none() => e.valid_up_to(),
                        Err(_) => {
                            return Some(Err(crate::ApiError::Network(
                                "the event stream is not UTF-8".to_owned(),
                            )));
                        }
                    };
                    let rest = self.pending.split_off(valid);
                    let text = String::from_utf8(std::mem::replace(&mut self.pending, rest))
                        .unwrap_or_default();
                    self.ready.extend(self.parser.push(&text));
                }
                Err(err) => return Some(Err(crate::network(err))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_line_endings_are_read_whole() {
        let mut p = Parser::default();
        assert!(
            p.push("retry: 3000\n\n: keep-alive\n\nid: 7\nevent: client.cre")
                .is_empty()
        );
        let got = p.push("ated\ndata: {\"a\":1}\r\n\r\nid: 8\rdata: x\rdata: y\r\r");
        assert_eq!(
            got,
            vec![
                SseEvent {
                    id: Some("7".into()),
                    event: "client.created".into(),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    id: Some("8".into()),
                    event: "message".into(),
                    data: "x\ny".into()
                },
            ]
        );
    }
}
