# Reference values for calibrated replicate designs: postStratify, rake and calibrate on a svyrep.design
# adjust every replicate (R 4.2.2, survey 4.1-1). Run from this directory:
#   Rscript calibrated.R <shared>/fixtures/r-datasets
# Prints every value pinned in tests/estimation/test_replicates_calibrated.py.
suppressMessages(library(survey))
args <- commandArgs(TRUE)
dir <- if (length(args)) args[1] else "../../../../../shared/fixtures/r-datasets"
options(digits = 15)
show <- function(label, x) {
  cat(label, "\n")
  print(data.frame(est = coef(x), se = SE(x)), digits = 15)
}
apiclus1 <- read.csv(file.path(dir, "apiclus1.csv"))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
jk <- as.svrepdesign(dclus1, type = "JK1")
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))

ps <- postStratify(jk, ~stype, pop.types)
show("postStratify svymean(~api00)", svymean(~api00, ps))
show("postStratify svytotal(~enroll)", svytotal(~enroll, ps))
show("postStratify svyby(~api00, ~sch.wide, svymean)", svyby(~api00, ~sch.wide, ps, svymean))
cat("postStratify degf", degf(ps), "\n")

rk <- rake(jk, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = list(maxit = 100, epsilon = 1e-10))
show("rake svymean(~api00)", svymean(~api00, rk))
show("rake svytotal(~enroll)", svytotal(~enroll, rk))
show("rake svyby(~api00, ~stype, svymean)", svyby(~api00, ~stype, rk, svymean))

cal <- calibrate(jk, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069))
show("calibrate svymean(~api00)", svymean(~api00, cal))
show("calibrate svytotal(~enroll)", svytotal(~enroll, cal))

calr <- calibrate(jk, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069),
                  calfun = "raking", epsilon = 1e-12)
show("calibrate(calfun='raking') svymean(~api00)", svymean(~api00, calr))
show("calibrate(calfun='raking') svyby(~api00, ~sch.wide, svymean)", svyby(~api00, ~sch.wide, calr, svymean))
