/* The other unit of oob.wasm: noinline keeps the three frames apart under -O2. */

__attribute__((noinline)) static int load(const int *table, int i)
{
    return table[i];
}

__attribute__((noinline)) int sum_strided(const int *table, int n, int stride)
{
    int sum = 0;
    for (int k = 0; k < n; k++)
        sum += load(table, k * stride);
    return sum;
}
