//! Charset detection and decoding: BOM, then the HTTP `charset`, then
//! `<meta charset>` / `http-equiv`, then statistical sniffing (chardetng).
//! A page that declares UTF-8 but is not valid UTF-8 is sniffed instead, so
//! mislabelled Latin-1 / Windows-1252 pages still come out right.

use encoding_rs::{Encoding, UTF_8};

fn sniff(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

fn header_charset(content_type: Option<&str>) -> Option<&'static Encoding> {
    let ct = content_type?.to_ascii_lowercase();
    let label = ct.split("charset=").nth(1)?;
    let label = label
        .trim_start_matches(['"', '\''])
        .split(['"', '\'', ';', ' '])
        .next()?;
    Encoding::for_label(label.as_bytes())
}

fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let i = head.find("charset=")?;
    let label: String = head[i + 8..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(label.as_bytes())
}

/// Decodes a body to UTF-8 text; also returns the encoding used.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let text = enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
        return (text, enc.name());
    }
    let declared = header_charset(content_type).or_else(|| meta_charset(bytes));
    let enc = match declared {
        // UTF-16 labels without a BOM are almost always wrong in HTML.
        // Invalid UTF-8 means mislabelled; a sequence cut at the end (a body
        // truncated at the size cap) does not.
        Some(e)
            if e == UTF_8
                && std::str::from_utf8(bytes).is_err_and(|err| err.error_len().is_some()) =>
        {
            sniff(bytes)
        }
        Some(e) if e.name().starts_with("UTF-16") => sniff(bytes),
        Some(e) => e,
        None => sniff(bytes),
    };
    let text = enc.decode_without_bom_handling(bytes).0.into_owned();
    (text, enc.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAFE_1252: &[u8] = b"<html><body><p>Caf\xe9 Soci\xe9t\xe9 Montr\xe9al \x93quoted\x94 and more French text: pr\xe9cision, qualit\xe9, fran\xe7ais, \xe0 la carte</p></body></html>";

    #[test]
    fn declared_header_charset_is_used() {
        let (t, enc) = decode(CAFE_1252, Some("text/html; charset=windows-1252"));
        assert!(t.contains("Café Société Montréal"), "{t}");
        assert!(t.contains("“quoted”"));
        assert_eq!(enc, "windows-1252");
        // ISO-8859-1 is decoded as windows-1252 per the WHATWG Encoding Standard.
        let (t, _) = decode(CAFE_1252, Some("text/html; charset=\"ISO-8859-1\""));
        assert!(t.contains("Café"));
    }

    #[test]
    fn meta_charset_when_header_is_silent() {
        let mut body = b"<html><head><meta charset=\"windows-1252\"></head>".to_vec();
        body.extend_from_slice(CAFE_1252);
        let (t, enc) = decode(&body, Some("text/html"));
        assert!(t.contains("Société"));
        assert_eq!(enc, "windows-1252");
    }

    #[test]
    fn mislabelled_utf8_is_sniffed() {
        let (t, enc) = decode(CAFE_1252, Some("text/html; charset=utf-8"));
        assert!(t.contains("Montréal"), "{t}");
        assert_ne!(enc, "UTF-8");
    }

    #[test]
    fn utf8_cut_mid_character_stays_utf8() {
        let full = "Société Générale de Précision ".repeat(20);
        let bytes = full.as_bytes();
        // The shortest prefix that is not valid UTF-8 ends inside "é".
        let cut = (1..bytes.len())
            .map(|n| &bytes[..n])
            .find(|b| std::str::from_utf8(b).is_err())
            .unwrap();
        let (t, enc) = decode(cut, Some("text/html; charset=utf-8"));
        assert_eq!(enc, "UTF-8");
        assert!(t.starts_with("Soci"));
    }

    #[test]
    fn no_charset_anywhere_is_sniffed() {
        let (t, _) = decode(CAFE_1252, None);
        assert!(t.contains("qualité"), "{t}");
        let (u, enc) = decode("Zürich Präzision".as_bytes(), None);
        assert_eq!(u, "Zürich Präzision");
        assert_eq!(enc, "UTF-8");
    }

    #[test]
    fn bom_wins() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("Québec".as_bytes());
        let (t, enc) = decode(&b, Some("text/html; charset=windows-1252"));
        assert_eq!(t, "Québec");
        assert_eq!(enc, "UTF-8");
    }
}
