/* Floating point: double and float arithmetic, fused multiply-add, compares and conversions
 * (including libgcc's 64-bit ones), special values. */
volatile double vd[] = {1.5, -2.25, 0.1, 1e300, -1e-300, 3.0e9, -7.75, 0.0, 123456.789, -0.0};
volatile float vf[] = {1.5f, -3.0f, 0.3f, 1e30f, 2.5e-40f, -65536.0f, 0.125f, 7.0f};
volatile int vi[] = {0, 1, -1, 2147483647, -2147483647 - 1, 1000, -77, 65535};
double dres[96];
float fres[48];
long long lres[48];
int ires[48];

int main(void)
{
    int d = 0, f = 0, l = 0, k = 0;
    const int nd = sizeof vd / sizeof vd[0], nf = sizeof vf / sizeof vf[0], ni = sizeof vi / sizeof vi[0];
    for (int i = 0; i < nd; i++) {
        double a = vd[i], b = vd[(i + 3) % nd];
        dres[d++] = a + b;
        dres[d++] = a * b - a;
        dres[d++] = a * b + b;          /* fmadd with -ffp-contract=fast */
        dres[d++] = b != 0.0 ? a / b : -a;
        dres[d++] = a < b ? a : b;
        dres[d++] = (double)(float)a;
        dres[d++] = -(a - b * 0.5);
        dres[d++] = a < 0 ? -a : a;
        if (a > -2147483648.0 && a < 2147483647.0) {
            ires[k++] = (int)a;
            lres[l++] = (long long)(a * 1000.0);
        }
        if (a >= 0 && a < 4294967295.0)
            ires[k++] = (int)(unsigned)a;
        ires[k++] = (a == b) + 2 * (a > b) + 4 * (a <= b);
    }
    for (int i = 0; i < nf; i++) {
        float a = vf[i], b = vf[(i + 1) % nf];
        fres[f++] = a + b;
        fres[f++] = a * b;
        fres[f++] = a / b;
        fres[f++] = a * b - 1.0f;
        fres[f++] = (float)vi[i] * 0.5f;
        dres[d++] = (double)a * (double)b;
    }
    for (int i = 0; i < ni; i++) {
        dres[d++] = (double)vi[i] / 3.0;
        dres[d++] = (double)(unsigned)vi[i];
        dres[d++] = (double)((long long)vi[i] * 100000LL);
        fres[f++] = (float)((long long)vi[i] << 20);
    }
    double sum = 0;
    for (int i = 0; i < d; i++)
        if (dres[i] == dres[i] && dres[i] < 1e200 && dres[i] > -1e200)
            sum += dres[i];
    return (int)(sum / 1e6) + k + l;
}
