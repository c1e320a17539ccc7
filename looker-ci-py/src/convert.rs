//! Conversions between Python objects and the core's JSON values and errors.

use looker_ci_core::Error;
use looker_ci_core::api::json_body;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};
use serde_json::Value;

/// A JSON value on its way to Python (built in Rust: no per-call Python-side parsing).
pub struct Json(pub Value);

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
}

/// An operation's decoded reply: JSON as Python objects, text as `str`, binary as `bytes`.
pub struct Output(pub looker_ci_core::OperationOutput);

impl<'py> IntoPyObject<'py> for Output {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use looker_ci_core::OperationOutput;
        match self.0 {
            OperationOutput::Json(value) => to_py(py, &value),
            OperationOutput::Text(text) => Ok(PyString::new(py, &text).into_any()),
            OperationOutput::Binary(bytes) => Ok(PyBytes::new(py, &bytes).into_any()),
        }
    }
}

/// An operation's undecoded reply: JSON becomes Python objects straight from the bytes, text
/// `str`, binary `bytes`.
pub struct Reply(pub looker_ci_core::RawReply);

impl<'py> IntoPyObject<'py> for Reply {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reply = self.0;
        if !reply.is_json() {
            let output = reply.output().map_err(NativeError)?;
            return Output(output).into_pyobject(py);
        }
        crate::json_to_py::json_to_py(py, json_body(reply.bytes()))
            .map_err(|e| PyErr::from(NativeError(reply.decode_error(&e))))
    }
}

/// A reply of `request()`: JSON (whatever its content type) straight from the bytes into Python
/// objects, as for the operations' replies; an empty body is `None`.
pub struct JsonReply {
    pub method: String,
    pub path: String,
    pub bytes: bytes::Bytes,
}

impl<'py> IntoPyObject<'py> for JsonReply {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json_to_py::json_to_py(py, json_body(&self.bytes))
            .map_err(|e| PyErr::from(NativeError(Error::decode(&self.method, &self.path, &e))))
    }
}

/// JSON text of an operation's arguments (the facade drops `None` values before sending).
pub fn parse_args(
    args_json: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, NativeError> {
    match parse_json("args", Some(args_json))? {
        Some(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(NativeError(Error::InvalidArgument {
            argument: "args".into(),
            message: "must be a mapping of parameter names to values".into(),
        })),
    }
}

/// A reply body for `raw=True`.
pub struct Raw(pub bytes::Bytes);

impl<'py> IntoPyObject<'py> for Raw {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyBytes::new(py, &self.0).into_any())
    }
}

pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Parse JSON text handed over by the Python facade (which serialises with `json.dumps`).
pub fn parse_json(argument: &str, text: Option<&str>) -> Result<Option<Value>, NativeError> {
    match text {
        None => Ok(None),
        Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
            NativeError(Error::InvalidArgument {
                argument: argument.to_owned(),
                message: format!("is not valid JSON: {e}"),
            })
        }),
    }
}

/// A core error on its way to Python; becomes an exception of `looker_ci.errors`.
pub struct NativeError(pub Error);

impl From<Error> for NativeError {
    fn from(e: Error) -> Self {
        NativeError(e)
    }
}

impl From<NativeError> for PyErr {
    fn from(error: NativeError) -> PyErr {
        Python::attach(|py| {
            let build = || -> PyResult<PyErr> {
                let errors = py.import("looker_ci.errors")?;
                let details = to_py(py, &error.0.details())?;
                let exception = errors.getattr("_from_native")?.call1((details,))?;
                Ok(PyErr::from_value(exception))
            };
            build().unwrap_or_else(|import_error| {
                PyRuntimeError::new_err(format!("{} ({import_error})", error.0))
            })
        })
    }
}
