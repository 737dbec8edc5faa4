//! Threads whose work is needed only at the end (the custody digest of a file SQLite reads
//! itself, the carver) yield the cores to the thread reading the rows while both want them.
//!
//! Invariant: only the scheduling changes (a higher nice value for the calling thread on Linux,
//! nothing elsewhere); what the thread computes does not, and a refusal is ignored.

/// Lowers the calling thread's scheduling priority to nice 10 (never raises it: a thread
/// already nicer stays as it is).
pub(crate) fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        if rustix::process::getpriority_process(Some(tid)).is_ok_and(|nice| nice < 10) {
            let _ = rustix::process::setpriority_process(Some(tid), 10);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of(tid: rustix::thread::Pid) -> i32 {
        rustix::process::getpriority_process(Some(tid)).unwrap()
    }

    /// The calling thread, and only it, gets nice 10 (or stays where it was when higher).
    #[test]
    fn only_the_calling_thread_is_lowered() {
        let here = rustix::thread::gettid();
        let before = nice_of(here);
        let (lowered, after) = std::thread::spawn(|| {
            let tid = rustix::thread::gettid();
            let before = nice_of(tid);
            lower_this_thread();
            (nice_of(tid), before)
        })
        .join()
        .unwrap();
        assert_eq!(lowered, after.max(10));
        assert_eq!(nice_of(here), before);
    }
}
