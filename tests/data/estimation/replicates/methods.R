# Reference values for the engine's methods on replicate-weight designs (R 4.2.2, survey 4.1-1).
# Run from this directory: Rscript methods.R <shared>/fixtures/r-datasets
# Prints every value pinned in tests/estimation/test_replicates_methods.py. pairs.csv comes from built.R.
suppressMessages(library(survey))
args <- commandArgs(TRUE)
dir <- if (length(args)) args[1] else "../../../../../shared/fixtures/r-datasets"
options(digits = 15)
show <- function(x) print(data.frame(est = coef(x), se = SE(x)), digits = 15)
rows <- read.csv("pairs.csv")
d <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = rows)
b <- as.svrepdesign(d, type = "BRR")

m <- svyglm(y ~ x + grp, b)
print(coef(summary(m)), digits = 15); cat("df.residual", m$df.residual, "\n")
l <- svyglm(bin ~ x + k, b, family = quasibinomial())
print(coef(summary(l)), digits = 15); cat("df.residual", l$df.residual, "\n")
print(regTermTest(l, ~k), digits = 15)
ms <- svyglm(y ~ x, b, subset = grp == "a")
print(coef(summary(ms)), digits = 15); cat("subset df.residual", ms$df.residual, "\n")
for (s in c("F", "Chisq", "Wald", "adjWald")) print(svychisq(~grp + k, b, statistic = s), digits = 15)
for (s in c("F", "adjWald")) print(svychisq(~k + bin, subset(b, grp == "a"), statistic = s), digits = 15)
print(svyquantile(~y, b, c(0.25, 0.9), ci = TRUE, qrule = "hf7")$y, digits = 15)
print(svyby(~y, ~grp, b, svyquantile, quantiles = 0.5, ci = TRUE, vartype = "ci", qrule = "hf7"), digits = 15)
print(svyquantile(~y, b, c(0.25, 0.9), ci = TRUE, qrule = "hf7", interval.type = "quantile")$y, digits = 15)
print(svyquantile(~y, b, 0.5, ci = TRUE, interval.type = "quantile")$y, digits = 15)
print(svyby(~y, ~grp, b, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci"), qrule = "hf7",
            interval.type = "quantile"), digits = 15)
show(svyvar(~y, b))
print(svyby(~y, ~grp, b, svyvar), digits = 15)
show(svycontrast(svyby(~y, ~grp, b, svymean, covmat = TRUE), c(a = 1, b = -1)))
print(svyciprop(~bin, b, method = "likelihood"), digits = 15)

# JKn built from dstrat: the rscales (with the fpc) enter the regression covariance
apistrat <- read.csv(file.path(dir, "apistrat.csv"))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
jkn <- as.svrepdesign(dstrat, type = "JKn")
j <- svyglm(api00 ~ ell + meals, jkn)
print(coef(summary(j)), digits = 15); cat("JKn df.residual", j$df.residual, "\n")
