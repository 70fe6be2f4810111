/* dtq_printf: a small freestanding formatter over dtq_puts (no heap, no libc stdio). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dtq_hal.h"

typedef struct {
    char buf[96];
    uint32_t n;
} dtq_out;

static void out_flush(dtq_out *o) {
    if (o->n) {
        o->buf[o->n] = '\0';
        dtq_puts(o->buf);
        o->n = 0;
    }
}

static void out_c(dtq_out *o, char c) {
    if (o->n + 1 >= sizeof o->buf) out_flush(o);
    o->buf[o->n++] = c;
}

static void out_pad(dtq_out *o, char c, unsigned n) {
    while (n--) out_c(o, c);
}

/* One number: sign, zero padding or space padding (left or right). */
static void out_num(dtq_out *o, uint64_t v, unsigned base, int upper, int neg, unsigned width, char pad, int left) {
    char tmp[24];
    unsigned n = 0, len;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    len = n + (neg ? 1u : 0u);
    if (!left && pad == ' ' && width > len) out_pad(o, ' ', width - len);
    if (neg) out_c(o, '-');
    if (!left && pad == '0' && width > len) out_pad(o, '0', width - len);
    while (n) out_c(o, tmp[--n]);
    if (left && width > len) out_pad(o, ' ', width - len);
}

/* Length modifiers: none / hh / h (int), l (long), ll (long long), z (size_t), j (intmax_t),
 * t (ptrdiff_t). On rv32 uint32_t is unsigned long, so PRIu32 is "lu" there and "u" natively:
 * both read the right type here. */
enum { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static uint64_t arg_unsigned(va_list *ap, int len) {
    switch (len) {
        case LEN_LONG: return va_arg(*ap, unsigned long);
        case LEN_LLONG: return va_arg(*ap, unsigned long long);
        case LEN_SIZE: return va_arg(*ap, size_t);
        case LEN_MAX: return va_arg(*ap, uintmax_t);
        case LEN_PTRDIFF: return (uint64_t)va_arg(*ap, ptrdiff_t);
        default: return va_arg(*ap, unsigned);
    }
}

static int64_t arg_signed(va_list *ap, int len) {
    switch (len) {
        case LEN_LONG: return va_arg(*ap, long);
        case LEN_LLONG: return va_arg(*ap, long long);
        case LEN_SIZE: return (int64_t)va_arg(*ap, size_t);
        case LEN_MAX: return va_arg(*ap, intmax_t);
        case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
        default: return va_arg(*ap, int);
    }
}

void dtq_printf(const char *fmt, ...) {
    dtq_out o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        char pad = ' ';
        unsigned width = 0;
        int left = 0, len = LEN_INT;
        if (*fmt != '%') {
            out_c(&o, *fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) { /* flags */
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') pad = '0';
            else if (*fmt != '+' && *fmt != ' ' && *fmt != '#') break;
        }
        if (left) pad = ' ';
        while (*fmt >= '0' && *fmt <= '9') width = width * 10u + (unsigned)(*fmt++ - '0');
        if (*fmt == 'h') {
            fmt++;
            if (*fmt == 'h') fmt++;
        } else if (*fmt == 'l') {
            fmt++;
            len = LEN_LONG;
            if (*fmt == 'l') {
                fmt++;
                len = LEN_LLONG;
            }
        } else if (*fmt == 'z') {
            fmt++;
            len = LEN_SIZE;
        } else if (*fmt == 'j') {
            fmt++;
            len = LEN_MAX;
        } else if (*fmt == 't') {
            fmt++;
            len = LEN_PTRDIFF;
        }
        switch (*fmt) {
            case 'd':
            case 'i': {
                const int64_t v = arg_signed(&ap, len);
                out_num(&o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, 0, v < 0, width, pad, left);
                break;
            }
            case 'u': out_num(&o, arg_unsigned(&ap, len), 10, 0, 0, width, pad, left); break;
            case 'x':
            case 'X': out_num(&o, arg_unsigned(&ap, len), 16, *fmt == 'X', 0, width, pad, left); break;
            case 'p':
                out_c(&o, '0');
                out_c(&o, 'x');
                out_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, 0, width > 2 ? width - 2 : 0, pad, left);
                break;
            case 's': {
                const char *str = va_arg(ap, const char *);
                unsigned n = 0;
                if (!str) str = "(null)";
                while (str[n]) n++;
                if (!left && width > n) out_pad(&o, ' ', width - n);
                while (*str) out_c(&o, *str++);
                if (left && width > n) out_pad(&o, ' ', width - n);
                break;
            }
            case 'c':
                if (!left && width > 1) out_pad(&o, ' ', width - 1);
                out_c(&o, (char)va_arg(ap, int));
                if (left && width > 1) out_pad(&o, ' ', width - 1);
                break;
            case '%': out_c(&o, '%'); break;
            case '\0': fmt--; break;
            default: out_c(&o, '%'); out_c(&o, *fmt); break;
        }
    }
    va_end(ap);
    out_flush(&o);
}
