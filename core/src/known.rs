//! What an isolate remembers of the verifications it has seen: the facts fixed when each was
//! started (its site, its number, its page), which no later request can change. A check asks
//! them of the verification's object only when this isolate has not seen it: the start that
//! made it usually ran here.

use crate::phone::E164;
use std::collections::{HashMap, VecDeque};

/// A verification's facts fixed at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub site_key: String,
    pub phone: E164,
    /// The page origin that started it.
    pub origin: String,
}

/// Verifications remembered per isolate; beyond this the oldest is forgotten (and asked of
/// its object again if it comes back). About 200 bytes each.
pub const KNOWN_KEPT: usize = 2000;

/// The facts of the verifications an isolate saw last, by id, and the order it saw them in.
#[derive(Debug, Default)]
pub struct Known {
    kept: HashMap<String, Facts>,
    order: VecDeque<String>,
}

impl Known {
    pub fn get(&self, id: &str) -> Option<&Facts> {
        self.kept.get(id)
    }

    /// Remembers `facts` of `id`, forgetting the oldest when [`KNOWN_KEPT`] are kept.
    pub fn remember(&mut self, id: &str, facts: Facts) {
        if self.kept.contains_key(id) {
            return;
        }
        if self.order.len() >= KNOWN_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.kept.remove(&oldest);
            }
        }
        self.order.push_back(id.to_owned());
        self.kept.insert(id.to_owned(), facts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(site: &str) -> Facts {
        Facts {
            site_key: site.into(),
            phone: crate::phone::normalise("+447400123456", None).unwrap(),
            origin: "https://shop.example".into(),
        }
    }

    #[test]
    fn an_isolate_remembers_what_never_changes_and_forgets_the_oldest() {
        let mut k = Known::default();
        assert_eq!(k.get("v1"), None);
        k.remember("v1", facts("s1"));
        assert_eq!(k.get("v1"), Some(&facts("s1")));
        assert_eq!(k.get("v2"), None);
        for i in 0..KNOWN_KEPT {
            k.remember(&format!("w{i}"), facts("s2"));
        }
        assert_eq!(
            (k.kept.len(), k.order.len()),
            (KNOWN_KEPT, KNOWN_KEPT),
            "bounded"
        );
        assert_eq!(k.get("v1"), None, "the oldest went");
        assert_eq!(k.get("w1"), Some(&facts("s2")));
    }
}
