/* A component test program that prints: a few recursive calls and a loop, each result on stdout. */
#include <stdio.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    (void)argv;
    for (int i = 0; i < 10; i++)
        printf("fib(%d) = %d\n", i, fib(i));
    printf("%d argument(s)\n", argc - 1);
    return 0;
}
