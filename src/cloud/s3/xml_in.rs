//! Request bodies S3 takes as XML (bucket configuration, DeleteObjects, CompleteMultipartUpload),
//! read into a small element tree. Namespaces are ignored, as S3 accepts documents with or without.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::errors;
use crate::cloud::error::ApiError;

/// Nesting beyond this is refused: no S3 document is deeper than a handful of levels.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

fn local_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => name.into_owned(),
    }
}

/// The document's root element; `MalformedXML` for anything that does not parse.
pub fn parse(body: &[u8]) -> Result<Element, ApiError> {
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        match reader.read_event().map_err(|_| errors::malformed_xml())? {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH || root.is_some() {
                    return Err(errors::malformed_xml());
                }
                stack.push(Element { name: local_name(start.name().as_ref()), ..Default::default() });
            }
            Event::Empty(start) => {
                let el = Element { name: local_name(start.name().as_ref()), ..Default::default() };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(errors::malformed_xml()),
                }
            }
            Event::Text(text) => {
                let t = text.unescape().map_err(|_| errors::malformed_xml())?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::CData(data) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(errors::malformed_xml)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(errors::malformed_xml());
    }
    root.ok_or_else(errors::malformed_xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_document_with_a_namespace_and_refuses_broken_ones() {
        let doc = parse(br#"<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Quiet>true</Quiet></Delete>"#).unwrap();
        assert_eq!(doc.name, "Delete");
        assert_eq!(doc.all("Object").next().unwrap().text_of("Key"), Some("a&b"));
        assert_eq!(doc.text_of("Quiet"), Some("true"));
        for bad in [&b"<A><B></A>"[..], b"", b"<A>", b"<A/><B/>"] {
            assert_eq!(parse(bad).unwrap_err().code, "MalformedXML", "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(parse(deep.as_bytes()).unwrap_err().code, "MalformedXML");
    }
}
