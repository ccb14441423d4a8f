#ifndef TOLLGATE_CCURL_SHIM_H
#define TOLLGATE_CCURL_SHIM_H
#include <curl/curl.h>
#include <sys/epoll.h>

/* curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic,
 * which Swift cannot call: these typed wrappers can be. One per argument
 * type (long, curl_off_t, pointer, string) and per callback signature. */
static inline CURLcode tg_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tg_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tg_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tg_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*tg_data_callback)(char *, size_t, size_t, void *);
typedef int (*tg_prereq_callback)(void *, char *, char *, int, int);
static inline CURLcode tg_easy_setopt_write_callback(CURL *h, tg_data_callback cb) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
}
static inline CURLcode tg_easy_setopt_header_callback(CURL *h, tg_data_callback cb) {
    return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
}
static inline CURLcode tg_easy_setopt_prereq_callback(CURL *h, tg_prereq_callback cb) {
    return curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, cb);
}

static inline CURLcode tg_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode tg_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode tg_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

typedef int (*tg_socket_callback)(CURL *, curl_socket_t, int, void *, void *);
typedef int (*tg_timer_callback)(CURLM *, long, void *);
static inline CURLMcode tg_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode tg_multi_setopt_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode tg_multi_setopt_socket_callback(CURLM *m, tg_socket_callback cb) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, cb);
}
static inline CURLMcode tg_multi_setopt_timer_callback(CURLM *m, tg_timer_callback cb) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, cb);
}

/* Macros Swift cannot import (they combine other macros or cast). */
static inline long tg_global_all(void) { return CURL_GLOBAL_ALL; }
static inline int tg_pause_recv(void) { return CURLPAUSE_RECV; }
static inline int tg_pause_cont(void) { return CURLPAUSE_CONT; }
static inline long tg_pipe_multiplex(void) { return CURLPIPE_MULTIPLEX; }
static inline size_t tg_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
static inline curl_socket_t tg_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }
static inline int tg_prereqfunc_ok(void) { return CURL_PREREQFUNC_OK; }
static inline int tg_prereqfunc_abort(void) { return CURL_PREREQFUNC_ABORT; }

/* The event loop's watch over curl's sockets: a plain epoll set (the
 * epoll_event struct is packed on x86-64, which Swift imports awkwardly). */
static inline int tg_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int tg_epoll_set(int ep, int op, int fd, int curl_what) {
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    if (curl_what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (curl_what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    return epoll_ctl(ep, op, fd, &ev);
}
/* Ready sockets as curl's event bits (CURL_CSELECT_*); at most max. */
static inline int tg_epoll_ready(int ep, int *fds, int *bits, int max) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(ep, evs, max, 0);
    for (int i = 0; i < n; i++) {
        fds[i] = evs[i].data.fd;
        int b = 0;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) b |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT) b |= CURL_CSELECT_OUT;
        if (evs[i].events & EPOLLERR) b |= CURL_CSELECT_ERR;
        bits[i] = b;
    }
    return n;
}
#endif
