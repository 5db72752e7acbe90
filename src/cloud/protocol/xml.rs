//! A small XML writer for awsQuery and REST-XML responses.

use std::fmt::Display;

#[derive(Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name>text</name>`, text escaped.
    pub fn elem(&mut self, name: &str, text: impl Display) -> &mut Self {
        let text = text.to_string();
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self.buf.push_str(&quick_xml::escape::escape(text.as_str()));
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Writes the element only when there is a value.
    pub fn opt(&mut self, name: &str, text: Option<impl Display>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    pub fn open_with_ns(&mut self, name: &str, xmlns: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.buf.push_str(&quick_xml::escape::escape(xmlns));
        self.buf.push_str("\">");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>…</name>` around whatever `inner` writes.
    pub fn nest(&mut self, name: &str, inner: impl FnOnce(&mut XmlWriter)) -> &mut Self {
        self.open(name);
        inner(self);
        self.close(name)
    }

    /// Appends already-rendered XML.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.buf.push_str(xml);
        self
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

/// A REST-XML error document (`<Error><Code>…</Code><Message>…</Message>…</Error>`), as S3 answers.
/// The host's body limit is S3's `EntityTooLarge`.
pub fn rest_error(err: &crate::cloud::error::ApiError, request_id: &str) -> super::response::HttpResponse {
    let (status, code) = match err.code.as_ref() {
        "RequestEntityTooLarge" => (http::StatusCode::BAD_REQUEST, "EntityTooLarge"),
        code => (err.status, code),
    };
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.nest("Error", |w| {
        w.elem("Code", code).elem("Message", &err.message).elem("RequestId", request_id);
    });
    super::response::response(status, "application/xml", w.finish().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut w = XmlWriter::new();
        w.nest("A", |w| {
            w.elem("B", "x<y & \"z\"");
        });
        assert_eq!(w.finish(), "<A><B>x&lt;y &amp; &quot;z&quot;</B></A>");
    }
}
