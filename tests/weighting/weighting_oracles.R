## Reference values for tests/weighting (survey_toolkit). Run from any folder:
##   Rscript tests/weighting/weighting_oracles.R > tests/weighting/weighting_oracles.txt
## Uses only the datasets bundled with the R package 'survey' (data(api)); calls its public functions.
suppressMessages(library(survey))
cat("R:", R.version.string, " survey:", as.character(packageVersion("survey")), "\n")
data(api)
p <- function(label, x) cat(label, paste(sprintf("%.15g", x), collapse=" "), "\n")
est <- function(label, d) {
  m <- svymean(~api00, d); t <- svytotal(~enroll, d)
  p(paste(label, "mean_api00"), c(coef(m), SE(m)))
  p(paste(label, "total_enroll"), c(coef(t), SE(t)))
}
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
pop.awards <- data.frame(awards=c("No","Yes"), Freq=c(2300,3894))

## 1. postStratify(dclus1, ~stype, pop.types)
ps <- postStratify(dclus1, ~stype, pop.types)
est("ps_dclus1", ps)
p("ps_dclus1 weights_by_stype_E_H_M", tapply(weights(ps), apiclus1$stype, unique))

## 2. rake(dclus1, list(~stype, ~sch.wide), ...) default control and control=list(maxit=100, epsilon=1e-10)
rk0 <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
est("rk0_dclus1", rk0)
p("rk0_dclus1 weights", weights(rk0))
rk1 <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control=list(maxit=100, epsilon=1e-10))
est("rk1_dclus1", rk1)
p("rk1_dclus1 weights", weights(rk1))

## 3. calibrate(dclus1, ~stype+api99, ...) (GREG, linear)
gc <- calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069))
est("gc_dclus1", gc)
p("gc_dclus1 weights", weights(gc))

## 4. trimWeights
tw <- trimWeights(dstrat, upper=40)
est("tw40_dstrat", tw)
p("tw40_dstrat weights_by_stype_E_H_M", tapply(weights(tw), apistrat$stype, unique))
tw2 <- trimWeights(dstrat, upper=35, lower=18, strict=TRUE)
est("tw35_18_strict_dstrat", tw2)
p("tw35_18_strict_dstrat weights_by_stype_E_H_M", tapply(weights(tw2), apistrat$stype, unique))
toy <- svydesign(id=~1, weights=~w, data=data.frame(w=c(1,2,3,4,10,12,30), y=1:7))
p("toy upper9 strict=FALSE", weights(trimWeights(toy, upper=9)))
p("toy upper9 strict=TRUE", weights(trimWeights(toy, upper=9, strict=TRUE)))
p("toy upper9 lower2.5 strict=TRUE", weights(trimWeights(toy, upper=9, lower=2.5, strict=TRUE)))

## 5. dstrat: design weights vary within the calibration cells (checks the variance residuals)
ps2 <- postStratify(dstrat, ~sch.wide, pop.schwide)
est("ps_dstrat_schwide", ps2)
rk2 <- rake(dstrat, list(~sch.wide, ~awards), list(pop.schwide, pop.awards), control=list(maxit=100, epsilon=1e-12))
est("rk_dstrat_schwide_awards", rk2)
p("rk_dstrat_schwide_awards weights", weights(rk2))
gc2 <- calibrate(dstrat, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069))
est("gc_dstrat_schwide_api99", gc2)
p("gc_dstrat_schwide_api99 weights", weights(gc2))

## 6. base weights of a two-stage design from the sample plan: weights(dclus2) = fpc1/n1 * fpc2/n2
dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
p("dclus2 weights", weights(dclus2))
p("dstrat weights", weights(svydesign(id=~1, strata=~stype, fpc=~fpc, data=apistrat)))

## 7. domains after raking (the estimation engine's by= with the calibration hook)
b <- svyby(~api00, ~stype, rk1, svymean)
p("rk1_dclus1 svyby_stype_mean", coef(b)); p("rk1_dclus1 svyby_stype_se", SE(b))
b <- svyby(~api00, ~awards, gc, svymean)
p("gc_dclus1 svyby_awards_mean", coef(b)); p("gc_dclus1 svyby_awards_se", SE(b))
m <- svymean(~sch.wide, ps)
p("ps_dclus1 schwide_prop", coef(m)); p("ps_dclus1 schwide_prop_se", SE(m))

## 8. chained calibration steps: postStratify then postStratify / calibrate on another variable
ps1 <- postStratify(dstrat, ~sch.wide, pop.schwide)
est("chain_ps_ps_dstrat", postStratify(ps1, ~awards, pop.awards))
est("chain_ps_gc_dstrat", calibrate(ps1, ~awards, c(`(Intercept)`=6194, awardsYes=3894)))

## 9. raking-ratio calibration: calibrate(calfun="raking") (GREG residuals, unlike rake())
gr <- calibrate(dstrat, ~sch.wide+awards, c(`(Intercept)`=6194, sch.wideYes=5122, awardsYes=3894),
                calfun="raking", epsilon=1e-12, maxit=200)
est("gr_dstrat_schwide_awards", gr)
gr2 <- calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069),
                 calfun="raking", epsilon=1e-12, maxit=200)
est("gr_dclus1_stype_api99", gr2)
p("gr_dclus1_stype_api99 weights", weights(gr2))
