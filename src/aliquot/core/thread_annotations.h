// Clang's thread-safety annotations (-Wthread-safety), so shared state names its guard and the
// compiler checks every access. Empty on other compilers.
#pragma once

#if defined(__clang__)
#define ALIQUOT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ALIQUOT_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) ALIQUOT_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY ALIQUOT_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) ALIQUOT_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) ALIQUOT_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) ALIQUOT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) ALIQUOT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) ALIQUOT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ALIQUOT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS ALIQUOT_THREAD_ANNOTATION(no_thread_safety_analysis)
