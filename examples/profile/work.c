/* The application of the `profile` and `latency` examples: recursive work with fixed inputs (naive
 * Fibonacci, Ackermann, a merge sort), so every count the examples print is the same on every run. */
#include <stdio.h>

__attribute__((noinline)) static int fib(int n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static int ack(int m, int n) {
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static void merge(int *a, int *tmp, int lo, int mid, int hi) {
    int i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < hi)
        tmp[k++] = a[j++];
    for (k = lo; k < hi; k++)
        a[k] = tmp[k];
}

__attribute__((noinline)) static void sort(int *a, int *tmp, int lo, int hi) {
    if (hi - lo < 2)
        return;
    int mid = lo + (hi - lo) / 2;
    sort(a, tmp, lo, mid);
    sort(a, tmp, mid, hi);
    merge(a, tmp, lo, mid, hi);
}

int main(void) {
    static int a[100], tmp[100];
    unsigned x = 12345;
    for (int i = 0; i < 100; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (int)(x >> 16) % 1000;
    }
    sort(a, tmp, 0, 100);
    printf("fib(12) = %d\n", fib(12));
    printf("ack(2, 3) = %d\n", ack(2, 3));
    printf("sorted: %d .. %d\n", a[0], a[99]);
    return 0;
}
