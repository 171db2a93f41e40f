# Reference values for replicate-weight designs (R 4.2.2, survey 4.1-1).
# Run from this directory: Rscript replicates.R <shared>/fixtures/r-datasets
# Writes boot_dclus1.csv (R's bootstrap replicate analysis weights) and prints every value pinned in
# tests/estimation/test_replicates.py.
suppressMessages(library(survey))
args <- commandArgs(TRUE)
dir <- if (length(args)) args[1] else "../../../../../shared/fixtures/r-datasets"
apiclus1 <- read.csv(file.path(dir, "apiclus1.csv"))
apistrat <- read.csv(file.path(dir, "apistrat.csv"))
scd <- read.csv(file.path(dir, "scd.csv"))
options(digits = 15)
show <- function(label, x) {
  cat(label, "\n")
  print(data.frame(est = coef(x), se = SE(x)), digits = 15)
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)

# JK1 on dclus1, given as replicate weights (the analysis weights of as.svrepdesign(dclus1, "JK1"))
jk1 <- as.svrepdesign(dclus1, type = "JK1")
cat("jk1 scale", jk1$scale, "rscales", unique(jk1$rscales), "\n")
A <- weights(jk1, "analysis"); colnames(A) <- paste0("jk", 1:ncol(A))
d1 <- cbind(apiclus1, A)
g <- svrepdesign(data = d1, repweights = "jk[0-9]+", weights = ~pw, type = "JK1", scale = jk1$scale,
                 combined.weights = TRUE)
show("JK1 svymean(~api00)", svymean(~api00, g))
show("JK1 svytotal(~enroll)", svytotal(~enroll, g))
show("JK1 svyby(~api00, ~stype, svymean)", svyby(~api00, ~stype, g, svymean))
show("JK1 svymean(~stype)", svymean(~factor(stype), g))
show("JK1 svyratio(~api.stu, ~enroll)", svyratio(~api.stu, ~enroll, g))
cat("JK1 degf", degf(g), "H", degf(subset(g, stype == "H")), "M", degf(subset(g, stype == "M")), "\n")
gm <- svrepdesign(data = d1, repweights = "jk[0-9]+", weights = ~pw, type = "JK1", scale = jk1$scale,
                  combined.weights = TRUE, mse = TRUE)
show("JK1 mse=TRUE svyby(~api00, ~stype, svymean)", svyby(~api00, ~stype, gm, svymean))
show("JK1 mse=TRUE svytotal(~enroll)", svytotal(~enroll, gm))
show("JK1 svycontrast(svyby(~api00, ~stype, g, svymean, covmat=TRUE), c(E=1, H=-1))",
     svycontrast(svyby(~api00, ~stype, g, svymean, covmat = TRUE), c(E = 1, H = -1)))
show("JK1 svycontrast(svymean(~api00+api99, g), c(1, -1))", svycontrast(svymean(~api00 + api99, g), c(1, -1)))
show("JK1 svyquantile(~api00, 0.5, ci=TRUE)", svyquantile(~api00, g, 0.5, ci = TRUE))

# JKn on dstrat (rows are PSUs): the test builds the same weights; rscales include the fpc
jkn <- as.svrepdesign(dstrat, type = "JKn")
cat("jkn scale", jkn$scale, "rscales", format(unique(jkn$rscales), digits = 15), "\n")
cat("jkn sorted colSums(analysis)", format(range(colSums(weights(jkn, "analysis"))), digits = 15), "\n")
show("JKn svymean(~api00)", svymean(~api00, jkn))
show("JKn svyby(~api00, ~stype, svymean)", svyby(~api00, ~stype, jkn, svymean))
show("JKn svyby(~I(sch.wide == 'Yes'), ~awards, svymean)", svyby(~I(sch.wide == "Yes"), ~awards, jkn, svymean))
cat("JKn degf", degf(jkn), "H", degf(subset(jkn, stype == "H")), "\n")

# BRR and Fay on scd (statistics.md §11.2)
brr <- cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))
b <- svrepdesign(data = scd, type = "BRR", repweights = 2 * brr, combined.weights = FALSE)
show("BRR svyratio(~alive, ~arrests)", svyratio(~alive, ~arrests, b))
show("BRR svymean(~alive)", svymean(~alive, b))
show("BRR svytotal(~arrests)", svytotal(~arrests, b))
f <- svrepdesign(data = scd, type = "Fay", repweights = ifelse(brr == 1, 1.7, 0.3), rho = 0.3,
                 combined.weights = FALSE)
show("Fay rho=0.3 svymean(~alive)", svymean(~alive, f))
show("Fay rho=0.3 svyratio(~alive, ~arrests)", svyratio(~alive, ~arrests, f))

# bootstrap on dclus1: R's replicate weights exported, used as given (scale from as.svrepdesign)
set.seed(20261202)
boot <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 20)
B <- weights(boot, "analysis"); colnames(B) <- paste0("bw", 1:ncol(B))
write.csv(data.frame(cds = apiclus1$cds, B), "boot_dclus1.csv", row.names = FALSE)
cat("boot scale", format(boot$scale, digits = 15), "\n")
show("bootstrap svymean(~api00)", svymean(~api00, boot))
show("bootstrap svyby(~api00, ~stype, svymean)", svyby(~api00, ~stype, boot, svymean))
show("bootstrap svytotal(~enroll)", svytotal(~enroll, boot))
