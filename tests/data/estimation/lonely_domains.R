# Reference values for lonely_psu = "average" / "adjust" inside domains (R 4.2.2, survey 4.1-1).
# Run from this directory: Rscript lonely_domains.R ../../../../shared/fixtures/r-datasets
suppressMessages(library(survey))
args <- commandArgs(TRUE)
dir <- if (length(args)) args[1] else "../../../../shared/fixtures/r-datasets"
apiclus1 <- read.csv(file.path(dir, "apiclus1.csv"))
apiclus2 <- read.csv(file.path(dir, "apiclus2.csv"))
options(digits = 15)
show <- function(label, x) {
  cat(label, "\n")
  print(data.frame(est = coef(x), se = SE(x)), digits = 15)
}
ds <- svydesign(id = ~1, weights = ~pw, strata = ~dnum, data = apiclus1)
for (adl in c(FALSE, TRUE)) {
  options(survey.adjust.domain.lonely = adl)
  for (lp in c("average", "adjust", "remove")) {
    options(survey.lonely.psu = lp)
    show(sprintf("ds %s adl=%s svyby(~api00, ~stype, ds, svymean)", lp, adl),
         suppressWarnings(svyby(~api00, ~stype, ds, svymean)))
    show(sprintf("ds %s adl=%s svyby(~enroll, ~stype, ds, svytotal)", lp, adl),
         suppressWarnings(svyby(~enroll, ~stype, ds, svytotal)))
  }
}
options(survey.adjust.domain.lonely = FALSE, survey.lonely.psu = "average")
# clustered: schools in districts, districts with one sampled school are lonely strata
dc <- svydesign(id = ~snum, strata = ~dnum, weights = ~pw, data = apiclus2)
show("dc average svyby(~api00, ~stype, dc, svymean)", svyby(~api00, ~stype, dc, svymean))
show("dc average svyby(~api00, ~awards, dc, svymean)", svyby(~api00, ~awards, dc, svymean))
show("dc average svymean(~api00, dc)", svymean(~api00, dc))
# two stages with fpc. Stage 2 is stratified (s2: the first two schools of a district in "a", the
# others in "b") and fpc2 is raised by 10 in districts with 2+ sampled schools, so districts with 3
# sampled schools have a lonely stratum "b" at stage 2; one-school districts stay certainty (fpc2 = 1).
apiclus2 <- apiclus2[order(apiclus2$dnum, apiclus2$snum), ]
apiclus2$s2 <- ifelse(ave(apiclus2$snum, apiclus2$dnum, FUN = seq_along) <= 2, "a", "b")
apiclus2$k <- ave(apiclus2$snum, apiclus2$dnum, FUN = length)
apiclus2$fpc2x <- ifelse(apiclus2$k > 1, apiclus2$fpc2 + 10, apiclus2$fpc2)
apiclus2$one <- 1
d2 <- svydesign(id = ~dnum + snum, strata = ~one + s2, fpc = ~fpc1 + fpc2x, data = apiclus2)
show("d2 average svymean(~api00, d2)", svymean(~api00, d2))
show("d2 average svyby(~api00, ~awards, d2, svymean)", svyby(~api00, ~awards, d2, svymean))
show("d2 average svyby(~api00, ~stype, d2, svymean)", svyby(~api00, ~stype, d2, svymean))
# calibrated designs keep every row in a domain: the whole design's strata count
pop <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dps <- postStratify(ds, ~stype, pop)
show("dps average svyby(~api00, ~awards, postStratify(ds, ~stype, pop), svymean)",
     svyby(~api00, ~awards, dps, svymean))
