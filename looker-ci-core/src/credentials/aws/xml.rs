//! Just enough XML for STS replies: the text of the first element with a given name.
//! STS replies are small, flat and machine-written; a full XML parser would add nothing here.

/// Text of the first `<tag>…</tag>` in `xml`, entities decoded.
pub(crate) fn text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(unescape(xml[start..end].trim()))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_nested_text_and_decodes_entities() {
        let xml =
            "<R><Error><Code>AccessDenied</Code><Message>a &amp; b &lt;c&gt;</Message></Error></R>";
        assert_eq!(super::text(xml, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(super::text(xml, "Message").as_deref(), Some("a & b <c>"));
        assert_eq!(super::text(xml, "Missing"), None);
    }
}
