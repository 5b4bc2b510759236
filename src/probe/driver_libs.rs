//! Can this process load the driver libraries ffmpeg's NVENC path dlopen()s?
//! ffmpeg says "Cannot load libcuda.so.1" when the first is missing; a container
//! without the `video` driver capability lacks the second.

use serde::Serialize;

pub const LIBCUDA: &str = "libcuda.so.1";
pub const LIBNVIDIA_ENCODE: &str = "libnvidia-encode.so.1";

#[derive(Debug, Clone, Serialize)]
pub struct LibraryCheck {
    pub library: String,
    pub loadable: bool,
    pub error: Option<String>,
}

pub fn probe() -> Vec<LibraryCheck> {
    [LIBCUDA, LIBNVIDIA_ENCODE]
        .iter()
        .map(|name| check(name))
        .collect()
}

fn check(name: &str) -> LibraryCheck {
    // SAFETY: loading a system library runs its initialisers; these are the driver's
    // own libraries, which ffmpeg would load the same way.
    match unsafe { libloading::Library::new(name) } {
        Ok(_) => LibraryCheck {
            library: name.into(),
            loadable: true,
            error: None,
        },
        Err(e) => LibraryCheck {
            library: name.into(),
            loadable: false,
            error: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_library_that_cannot_exist_is_reported_not_loadable() {
        let c = super::check("libnvviz-does-not-exist.so.1");
        assert!(!c.loadable);
        assert!(c.error.unwrap().contains("libnvviz-does-not-exist"));
    }
}
