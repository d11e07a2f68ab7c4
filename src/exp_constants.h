/* src/exp_constants.h - the constants of the library's own exp, shared by the
 * portable sigmoid (kernels.c) and the AVX-512 one (kernels_avx512.c); not
 * installed. The method is described in kernels.c, above exp_neg_ratio(). */
#ifndef DLFS_EXP_CONSTANTS_H
#define DLFS_EXP_CONSTANTS_H

/* 1 / ln 2, ln 2 in two parts, and fdlibm's P1..P5. */
#define EXP_LOG2E 1.4426950408889634074
#define EXP_LN2_HI 6.93147180369123816490e-01   /* 32 leading bits of ln 2 */
#define EXP_LN2_LO 1.90821492927058770002e-10   /* ln 2 - EXP_LN2_HI */
#define EXP_P1 1.66666666666666019037e-01
#define EXP_P2 -2.77777777770155933842e-03
#define EXP_P3 6.61375632143793436117e-05
#define EXP_P4 -1.65339022054652515390e-06
#define EXP_P5 4.13813679705723846039e-08

#endif
