/* The parts of a complex number. */
#ifndef BOOKE_LIBC_COMPLEX_H
#define BOOKE_LIBC_COMPLEX_H
#define complex _Complex
#define I (__extension__ 1.0iF)
float crealf(float _Complex z);
float cimagf(float _Complex z);
double creal(double _Complex z);
double cimag(double _Complex z);
long double creall(long double _Complex z);
long double cimagl(long double _Complex z);
#endif
