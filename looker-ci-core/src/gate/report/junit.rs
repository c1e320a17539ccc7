//! JUnit XML as GitLab's `artifacts:reports:junit` reads it.
//!
//! GitLab shows the text inside `<failure>` (not its `message` attribute), keys a test case by
//! suite name, classname and name (so a repeated name would hide a case: names are made unique),
//! and ignores `<system-out>` apart from attachments. Only findings of severity `error` or
//! `fatal` fail a test case; info and warnings go to the case's `<system-out>`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::finite_seconds;
use crate::gate::result::{Finding, Severity, ValidationResult, ValidatorKind};

/// One `<testsuites>` with the result's suite.
pub fn render(result: &ValidationResult) -> String {
    render_many(std::slice::from_ref(result))
}

/// One `<testsuites>` with a `<testsuite>` per result.
pub fn render_many(results: &[ValidationResult]) -> String {
    let suites: Vec<Suite> = results
        .iter()
        .map(|r| suite(&super::with_repository_paths(r)))
        .collect();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let time: f64 = suites.iter().map(|s| s.time).sum();

    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"looker-ci\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">"
    );
    for suite in &suites {
        suite.write(&mut xml);
    }
    xml.push_str("</testsuites>\n");
    xml
}

struct Suite {
    name: String,
    time: f64,
    cases: Vec<Case>,
}

struct Case {
    classname: String,
    name: String,
    time: f64,
    failure: Option<Failure>,
    skipped: Option<String>,
    out: String,
}

struct Failure {
    message: String,
    severity: Severity,
    body: String,
}

impl Suite {
    fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
    }

    fn write(&self, xml: &mut String) {
        let skipped = self.cases.iter().filter(|c| c.skipped.is_some()).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
            attr(&self.name),
            self.cases.len(),
            self.failures(),
            self.time
        );
        for case in &self.cases {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                attr(&case.classname),
                attr(&case.name),
                case.time
            );
            if case.failure.is_none() && case.skipped.is_none() && case.out.is_empty() {
                xml.push_str("/>\n");
                continue;
            }
            xml.push_str(">\n");
            if let Some(failure) = &case.failure {
                let _ = writeln!(
                    xml,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(&failure.message),
                    failure.severity.as_str(),
                    text(&failure.body)
                );
            }
            if let Some(reason) = &case.skipped {
                let _ = writeln!(
                    xml,
                    "      <skipped message=\"{}\">{}</skipped>",
                    attr(reason),
                    text(reason)
                );
            }
            if !case.out.is_empty() {
                let _ = writeln!(xml, "      <system-out>{}</system-out>", text(&case.out));
            }
            xml.push_str("    </testcase>\n");
        }
        xml.push_str("  </testsuite>\n");
    }
}

fn suite(result: &ValidationResult) -> Suite {
    let validator = result.validator;
    let by_explore = matches!(validator, ValidatorKind::Sql | ValidatorKind::Assert);
    let mut cases = Vec::new();
    let mut placed = vec![false; result.findings.len()];

    if by_explore {
        for checked in &result.explores {
            let mut findings: Vec<&Finding> = Vec::new();
            for (finding, placed) in result.findings.iter().zip(placed.iter_mut()) {
                if !*placed
                    && finding.model.as_deref() == Some(checked.model.as_str())
                    && finding.explore.as_deref() == Some(checked.explore.as_str())
                {
                    *placed = true;
                    findings.push(finding);
                }
            }
            let mut case = case_of(&checked.model, &checked.explore, &findings);
            case.time = finite_seconds(checked.seconds);
            if findings.is_empty() && checked.status == "skipped" {
                case.skipped = Some(match &result.incremental_target {
                    Some(target) => format!("unchanged from {target}, not checked"),
                    None => "not checked".into(),
                });
            }
            cases.push(case);
        }
    }
    for (finding, _) in result
        .findings
        .iter()
        .zip(&placed)
        .filter(|(_, placed)| !**placed)
    {
        let classname = match (&finding.model, &finding.file) {
            (Some(model), _) => format!("{}.{model}", validator.as_str()),
            (None, Some(file)) if !file.is_empty() => file.clone(),
            _ => validator.as_str().to_string(),
        };
        cases.push(case_of(&classname, &finding.location(), &[finding]));
    }
    // A suite with nothing in it reads as "no tests ran"; a clean LookML or content validation
    // is a test that passed.
    if cases.is_empty() || (!by_explore && cases.iter().all(|c| c.failure.is_none())) {
        cases.push(case_of(
            validator.as_str(),
            &format!("{} {}", validator.as_str(), result.project),
            &[],
        ));
    }

    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for case in &mut cases {
        let n = seen
            .entry((case.classname.clone(), case.name.clone()))
            .or_insert(0);
        *n += 1;
        if *n > 1 {
            case.name = format!("{} ({n})", case.name);
        }
    }

    Suite {
        name: format!("looker-ci {} {}", validator.as_str(), result.project),
        time: finite_seconds(result.counts.seconds),
        cases,
    }
}

fn case_of(classname: &str, name: &str, findings: &[&Finding]) -> Case {
    let (failing, other): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.severity >= Severity::Error);
    let failure = failing.iter().map(|f| f.severity).max().map(|severity| {
        let first = failing[0].message.lines().next().unwrap_or("").trim();
        let message = match failing.len() {
            1 => first.to_string(),
            n => format!("{first} (and {} more)", n - 1),
        };
        Failure {
            message,
            severity,
            body: describe(&failing),
        }
    });
    Case {
        classname: classname.into(),
        name: name.into(),
        time: 0.0,
        failure,
        skipped: None,
        out: describe(&other),
    }
}

/// Every finding in full: severity and location, message, fields, link, SQL.
fn describe(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "[{}] {}",
            finding.severity.as_str(),
            finding.location()
        );
        let _ = writeln!(out, "{}", finding.message.trim_end());
        if !finding.fields.is_empty() {
            let _ = writeln!(out, "fields: {}", finding.fields.join(", "));
        }
        if let Some(url) = &finding.url {
            let _ = writeln!(out, "open in Looker: {url}");
        }
        if let Some(sql) = &finding.sql {
            let _ = writeln!(out, "SQL:\n{}", sql.trim_end());
        }
    }
    out
}

/// Characters XML 1.0 allows: other control characters cannot be escaped, only left out.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn escape(value: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().filter(|c| allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A parser turns raw line breaks and tabs in an attribute into spaces, and a raw CR
            // anywhere into a LF: references keep them.
            '\r' => out.push_str("&#13;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

fn attr(value: &str) -> String {
    escape(value, true)
}

fn text(value: &str) -> String {
    escape(value, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;
    use crate::gate::result::{FindingScope, GitRefValidated};

    /// An element of the tiny parser below, with entities resolved.
    #[derive(Debug)]
    struct Element {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Element>,
        text: String,
    }

    impl Element {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        fn count(&self, name: &str) -> usize {
            self.attr(name)
                .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
                .parse()
                .unwrap()
        }

        fn child(&self, name: &str) -> Option<&Element> {
            self.children.iter().find(|c| c.name == name)
        }

        fn all(&self, name: &str) -> Vec<&Element> {
            self.children.iter().filter(|c| c.name == name).collect()
        }
    }

    /// A well-formedness check of the XML this module writes (no comments, CDATA or DTD): legal
    /// characters, matched tags, quoted and unique attributes without `<`, known entities only,
    /// one root.
    fn parse(xml: &str) -> Result<Element, String> {
        if let Some(bad) = xml.chars().find(|c| !allowed(*c)) {
            return Err(format!("illegal character {:?}", bad));
        }
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .ok_or("no XML declaration")?;
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        let mut rest = body;
        loop {
            let lt = rest.find('<').unwrap_or(rest.len());
            let chunk = &rest[..lt];
            if chunk.contains("]]>") {
                return Err("`]]>` in text".into());
            }
            match stack.last_mut() {
                Some(open) => open.text.push_str(&unescape(chunk)?),
                None if chunk.trim().is_empty() => {}
                None => return Err(format!("text outside the root: {chunk:?}")),
            }
            rest = &rest[lt..];
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix("</") {
                let gt = after.find('>').ok_or("unclosed end tag")?;
                let name = &after[..gt];
                let element = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
                if element.name != name.trim_end() {
                    return Err(format!("<{}> closed by </{name}>", element.name));
                }
                close(element, &mut stack, &mut root)?;
                rest = &after[gt + 1..];
                continue;
            }
            let after = &rest[1..];
            let name_len = after
                .find(|c: char| !(c.is_alphanumeric() || "-_:.".contains(c)))
                .unwrap_or(after.len());
            if name_len == 0 {
                return Err(format!("bad tag at {:?}", &rest[..rest.len().min(20)]));
            }
            let mut element = Element {
                name: after[..name_len].to_string(),
                attrs: Vec::new(),
                children: Vec::new(),
                text: String::new(),
            };
            let mut tail = &after[name_len..];
            loop {
                let trimmed = tail.trim_start();
                let spaced = trimmed.len() < tail.len();
                tail = trimmed;
                if let Some(t) = tail.strip_prefix("/>") {
                    close(element, &mut stack, &mut root)?;
                    tail = t;
                    break;
                }
                if let Some(t) = tail.strip_prefix('>') {
                    stack.push(element);
                    tail = t;
                    break;
                }
                if !spaced {
                    return Err(format!(
                        "no space before an attribute of <{}>",
                        element.name
                    ));
                }
                let eq = tail.find('=').ok_or("attribute without a value")?;
                let name = tail[..eq].trim_end().to_string();
                if name.is_empty()
                    || name.contains(|c: char| !(c.is_alphanumeric() || "-_:".contains(c)))
                {
                    return Err(format!("bad attribute name {name:?}"));
                }
                let value_part = tail[eq + 1..].trim_start();
                let quote = value_part
                    .chars()
                    .next()
                    .filter(|q| *q == '"' || *q == '\'');
                let quote = quote.ok_or(format!("unquoted value of {name}"))?;
                let end = value_part[1..]
                    .find(quote)
                    .ok_or("unterminated attribute value")?;
                let raw = &value_part[1..1 + end];
                if raw.contains('<') {
                    return Err(format!("`<` in the value of {name}"));
                }
                if element.attr(&name).is_some() {
                    return Err(format!("{name} twice on <{}>", element.name));
                }
                element.attrs.push((name, unescape(raw)?));
                tail = &value_part[1 + end + 1..];
            }
            rest = tail;
        }
        if let Some(open) = stack.last() {
            return Err(format!("<{}> is never closed", open.name));
        }
        root.ok_or_else(|| "no root element".into())
    }

    fn close(
        element: Element,
        stack: &mut [Element],
        root: &mut Option<Element>,
    ) -> Result<(), String> {
        match stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None if root.is_none() => *root = Some(element),
            None => return Err(format!("a second root <{}>", element.name)),
        }
        Ok(())
    }

    fn unescape(raw: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let semi = rest[amp..].find(';').ok_or("`&` without `;`")? + amp;
            let entity = &rest[amp + 1..semi];
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16)
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse()
                    } else {
                        return Err(format!("unknown entity &{entity};"));
                    };
                    let c = code.ok().and_then(char::from_u32).filter(|c| allowed(*c));
                    c.ok_or(format!("bad character reference &{entity};"))?
                }
            };
            out.push(c);
            rest = &rest[semi + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The totals on `<testsuites>` and each `<testsuite>` match the cases inside.
    fn assert_totals(root: &Element) {
        assert_eq!(root.name, "testsuites");
        let suites = root.all("testsuite");
        let cases: Vec<&Element> = suites.iter().flat_map(|s| s.all("testcase")).collect();
        let failed = |cases: &[&Element]| {
            cases
                .iter()
                .filter(|c| c.child("failure").is_some())
                .count()
        };
        assert_eq!(root.count("tests"), cases.len());
        assert_eq!(root.count("failures"), failed(&cases));
        assert_eq!(root.count("errors"), 0);
        for suite in suites {
            let cases = suite.all("testcase");
            assert!(!cases.is_empty(), "empty suite {:?}", suite.attr("name"));
            assert_eq!(suite.count("tests"), cases.len());
            assert_eq!(suite.count("failures"), failed(&cases));
            let skipped = cases
                .iter()
                .filter(|c| c.child("skipped").is_some())
                .count();
            assert_eq!(suite.count("skipped"), skipped);
            let mut keys: Vec<(&str, &str)> = cases
                .iter()
                .map(|c| (c.attr("classname").unwrap(), c.attr("name").unwrap()))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(
                keys.len(),
                cases.len(),
                "a repeated test case would hide another in GitLab"
            );
        }
    }

    fn case<'a>(root: &'a Element, name: &str) -> &'a Element {
        root.all("testsuite")
            .into_iter()
            .flat_map(|s| s.all("testcase"))
            .find(|c| c.attr("name") == Some(name))
            .unwrap_or_else(|| panic!("no test case {name}"))
    }

    #[test]
    fn the_checker_rejects_what_is_not_well_formed() {
        assert!(
            parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a x=\"1\"><b/>t&amp;</a>").is_ok()
        );
        for bad in [
            "<a><b></a></b>",
            "<a>",
            "<a/><b/>",
            "<a x=1/>",
            "<a x=\"<\"/>",
            "<a x=\"1\" x=\"2\"/>",
            "<a x=\"1\"y=\"2\"/>",
            "<a>&nbsp;</a>",
            "<a>&#1;</a>",
            "<a>x & y</a>",
            "<a>\u{1b}</a>",
            "text<a/>",
        ] {
            let doc = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{bad}");
            assert!(parse(&doc).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn the_sample_is_well_formed_and_counts_match() {
        let xml = render(&sample());
        let root = parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_totals(&root);
        // orders (2 errors), inventory_items (fatal), ecommerce/sessions (no listed explore).
        assert_eq!(root.count("failures"), 3);
        assert_eq!(root.count("tests"), 5);
        let suite = root.child("testsuite").unwrap();
        assert_eq!(suite.attr("name"), Some("looker-ci sql thelook"));
        assert_eq!(suite.count("skipped"), 1);
        assert_eq!(suite.attr("time"), Some("312.400"));
    }

    #[test]
    fn an_explore_case_lists_every_failing_finding_with_its_sql() {
        let result = sample();
        let root = parse(&render(&result)).unwrap();
        let orders = case(&root, "orders");
        assert_eq!(orders.attr("classname"), Some("thelook"));
        assert_eq!(orders.attr("time"), Some("3.500"));
        let failure = orders.child("failure").unwrap();
        assert_eq!(failure.attr("type"), Some("error"));
        assert!(failure.attr("message").unwrap().ends_with("(and 1 more)"));
        for finding in &result.findings[..2] {
            assert!(failure.text.contains(&finding.message), "{}", failure.text);
            assert!(
                failure.text.contains(&finding.location()),
                "{}",
                failure.text
            );
            // The SQL survives escaping unchanged: `<`, `&`, `"`, `]]>` and line breaks.
            assert!(
                failure.text.contains(finding.sql.as_deref().unwrap()),
                "{}",
                failure.text
            );
        }
        let fatal = case(&root, "inventory_items").child("failure").unwrap();
        assert_eq!(fatal.attr("type"), Some("fatal"));
        // A message's line break survives inside an attribute.
        assert_eq!(fatal.attr("message"), Some("query timed out after 300 s"));
        assert!(fatal.text.contains("300 s\nand was cancelled"));
    }

    #[test]
    fn warnings_and_info_do_not_fail_a_case() {
        let result = sample();
        let root = parse(&render(&result)).unwrap();
        let users = case(&root, "users");
        assert!(users.child("failure").is_none());
        let out = &users.child("system-out").unwrap().text;
        assert!(out.contains(&result.findings[2].message), "{out}");
        assert!(out.contains(&result.findings[3].message), "{out}");
        let products = case(&root, "products");
        assert!(products.child("skipped").is_some());
        assert!(products.child("failure").is_none());
    }

    #[test]
    fn a_finding_of_an_unlisted_explore_is_its_own_case_without_illegal_characters() {
        let result = sample();
        let root = parse(&render(&result)).unwrap();
        let lost = &result.findings[5];
        let case = case(&root, &lost.location());
        assert_eq!(case.attr("classname"), Some("sql.ecommerce"));
        let failure = case.child("failure").unwrap();
        assert!(
            failure
                .text
                .contains("driver said [31mno[0m: permission denied"),
            "{}",
            failure.text
        );
    }

    fn lookml(findings: Vec<Finding>) -> ValidationResult {
        let mut result = ValidationResult::new(
            ValidatorKind::Lookml,
            "thelook",
            GitRefValidated::production(),
        );
        result.passed = findings.iter().all(|f| f.severity < Severity::Error);
        result.findings = findings;
        result.counts.seconds = 1.5;
        result
    }

    #[test]
    fn a_clean_lookml_result_is_one_passing_case() {
        let root = parse(&render(&lookml(Vec::new()))).unwrap();
        assert_totals(&root);
        let cases = root.child("testsuite").unwrap().all("testcase");
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].attr("name"), Some("lookml thelook"));
        assert!(cases[0].children.is_empty());
    }

    #[test]
    fn each_lookml_finding_is_a_case_and_repeated_locations_stay_apart() {
        let at = |line: u32, severity: Severity| {
            let mut f = Finding::new(severity, FindingScope::Lookml, "Unknown view \"users\"");
            f.file = Some("models/thelook.model.lkml".into());
            f.line = Some(line);
            f
        };
        let mut same_place = at(7, Severity::Error);
        same_place.message = "another problem on the same line".into();
        let result = lookml(vec![
            at(7, Severity::Error),
            same_place,
            at(9, Severity::Warning),
        ]);
        let root = parse(&render(&result)).unwrap();
        assert_totals(&root);
        let suite = root.child("testsuite").unwrap();
        assert_eq!(suite.count("tests"), 3);
        assert_eq!(suite.count("failures"), 2);
        let names: Vec<&str> = suite
            .all("testcase")
            .iter()
            .map(|c| c.attr("name").unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "models/thelook.model.lkml:7",
                "models/thelook.model.lkml:7 (2)",
                "models/thelook.model.lkml:9"
            ]
        );
        assert_eq!(
            suite.all("testcase")[0].attr("classname"),
            Some("models/thelook.model.lkml")
        );
    }

    #[test]
    fn many_results_are_one_document_with_a_suite_each() {
        let results = [lookml(Vec::new()), sample()];
        let root = parse(&render_many(&results)).unwrap();
        assert_totals(&root);
        assert_eq!(root.all("testsuite").len(), 2);
        assert_eq!(root.count("tests"), 6);
        assert_eq!(root.count("failures"), 3);
        assert_eq!(root.attr("time"), Some("313.900"));
    }

    #[test]
    fn escaping_covers_markup_and_illegal_characters() {
        assert_eq!(
            attr("a&b<c>\"d'\n\t\r\u{1}\u{fffe}"),
            "a&amp;b&lt;c&gt;&quot;d&apos;&#10;&#9;&#13;"
        );
        assert_eq!(text("x\ny\r\u{7}"), "x\ny&#13;");
    }
}
