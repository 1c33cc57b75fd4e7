/* The second compilation unit of multi.wasm. */
int util_sum(int n)
{
    int s = 0;
    for (int i = 1; i <= n; i++)
        s += i;
    return s;
}

int util_square(int n)
{
    return n * n;
}
