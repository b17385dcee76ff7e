/* Double and float arithmetic whose results the test recomputes in Python: Newton square
 * roots, harmonic sums, conversions to and from integers and between precisions, compares
 * (NaN included). Contraction is off so that every operation rounds on its own. */
#pragma GCC optimize("fp-contract=off")

volatile double din[] = {2.0, 10.0, 0.1, 12345.678, 1e-300, 7e300, -3.75, 2147483000.5};
volatile float fin[] = {3.0f, 0.1f, -7.5f, 1e-30f, 16777217.0f, 2.5f};
volatile int iin[] = {0, 1, -1, 2147483647, -2147483647 - 1, 1000003, -77};
volatile double zero = 0.0;

unsigned long long dout[64];
unsigned fout[64];
int iout[64];

static unsigned long long dbits(double x)
{
    union { double d; unsigned long long u; } v = { .d = x };
    return v.u;
}

static unsigned fbits(float x)
{
    union { float f; unsigned u; } v = { .f = x };
    return v.u;
}

int main(void)
{
    const int nd = sizeof din / sizeof din[0], nf = sizeof fin / sizeof fin[0];
    const int ni = sizeof iin / sizeof iin[0];
    int d = 0, f = 0, k = 0;
    for (int i = 0; i < nd; i++) {
        double x = din[i], g = x > 1.0 ? x : 1.0;
        if (x > 0) {
            for (int n = 0; n < 30; n++)
                g = 0.5 * (g + x / g);
            dout[d++] = dbits(g);
        }
        dout[d++] = dbits(x / 3.0 - x * 0.3);
        if (x > -2147483648.0 && x < 2147483648.0)
            iout[k++] = (int)x;
        if (x < 3e38 && x > -3e38)
            fout[f++] = fbits((float)x);
        double y = din[(i + 1) % nd];
        iout[k++] = (x < y) | (x == y) << 1 | (x > y) << 2 | (x <= y) << 3;
    }
    float fs = 0.0f;
    double ds = 0.0;
    for (int n = 1; n <= 200; n++) {
        fs += 1.0f / n;
        ds += 1.0 / n;
    }
    fout[f++] = fbits(fs);
    dout[d++] = dbits(ds);
    for (int i = 0; i < nf; i++) {
        float a = fin[i], b = fin[(i + 1) % nf];
        fout[f++] = fbits(a * b);
        fout[f++] = fbits(a / b);
        fout[f++] = fbits(a - b);
        dout[d++] = dbits((double)a + (double)b);
    }
    for (int i = 0; i < ni; i++) {
        dout[d++] = dbits((double)iin[i] / 7.0);
        fout[f++] = fbits((float)iin[i]);
    }
    double nan = zero / zero;
    iout[k++] = (nan < 1.0) | (nan == nan) << 1 | (nan > 1.0) << 2 | (nan != nan) << 3;
    dout[d++] = dbits(-zero);
    dout[d++] = dbits(1.0 / -zero);
    return d + f + k;
}
