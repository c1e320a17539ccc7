//! JSON bytes straight into Python objects in one pass (no intermediate JSON tree). Keys repeat
//! across the rows of a list (every dashboard has `id`, `title`, ...), so each distinct key becomes
//! one shared `str`, as CPython's own `json` does.

use std::collections::HashMap;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Bound on the key cache, so a map keyed by ids cannot grow it without limit.
const MAX_CACHED_KEYS: usize = 4096;

type Keys = HashMap<Box<str>, Py<PyString>>;

/// Parse `bytes` (one JSON document) into dicts, lists, `str`, `int`, `float`, `bool`, `None`.
pub fn json_to_py<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> Result<Bound<'py, PyAny>, serde_json::Error> {
    let mut keys = Keys::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Value {
        py,
        keys: &mut keys,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Builds one JSON value.
struct Value<'k, 'py> {
    py: Python<'py>,
    keys: &'k mut Keys,
}

impl<'de, 'py> DeserializeSeed<'de> for Value<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn python_error<E: de::Error>(error: PyErr) -> E {
    E::custom(error)
}

impl<'de, 'py> Visitor<'de> for Value<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.py)
            .unwrap_or_else(|never| match never {})
            .into_any())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.py)
            .unwrap_or_else(|never| match never {})
            .into_any())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.py, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Value { py, keys } = self;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Value {
            py,
            keys: &mut *keys,
        })? {
            items.push(item);
        }
        Ok(PyList::new(py, items).map_err(python_error)?.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Value { py, keys } = self;
        let dict = PyDict::new(py);
        while let Some(key) = map.next_key_seed(Key {
            py,
            keys: &mut *keys,
        })? {
            let value = map.next_value_seed(Value {
                py,
                keys: &mut *keys,
            })?;
            dict.set_item(key, value).map_err(python_error)?;
        }
        Ok(dict.into_any())
    }
}

/// Builds an object key, shared with earlier identical keys.
struct Key<'k, 'py> {
    py: Python<'py>,
    keys: &'k mut Keys,
}

impl<'de, 'py> DeserializeSeed<'de> for Key<'_, 'py> {
    type Value = Bound<'py, PyString>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'py> Visitor<'de> for Key<'_, 'py> {
    type Value = Bound<'py, PyString>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Some(key) = self.keys.get(v) {
            return Ok(key.bind(self.py).clone());
        }
        let key = PyString::new(self.py, v);
        if self.keys.len() < MAX_CACHED_KEYS {
            self.keys.insert(v.into(), key.clone().unbind());
        }
        Ok(key)
    }
}
