# R 4.2.2, survey 4.1-1: reference values for tests/test_repeats.py (CEAT WASH household survey).
library(survey)
options(digits=15)
d <- file.path(Sys.getenv("SHARED", "../../../../shared"), "fixtures/real/ceat_wash_abidjan_nairobi/data/")  # run from tests/data/r
h <- read.csv(paste0(d, "household_data.csv"), na.strings="")
m <- read.csv(paste0(d, "individual_data.csv"), na.strings="")
w <- c(Azito=40, Mabatini=25, Vietnam=30, Williamsville=35)
h$w <- w[h$Site]
# (a) member-level indicators with the household design: expanded table, ids = household (the PSU)
m$w <- w[m$Site]
dm <- svydesign(ids=~KEY, strata=~Site, weights=~w, data=m)
fem <- svymean(~I(Sex == "F"), dm)
cat(sprintf("female %.15g %.15g %d\n", coef(fem)[2], SE(fem)[2], degf(dm)))
print(confint(svyciprop(~I(Sex == "F"), dm, method="xlogit")), digits=15)
by_age <- svyby(~I(Sex == "F"), ~Age_group, dm, svymean)
print(by_age, digits=15)
dia <- subset(dm, Diarrhoea %in% c("Y", "N"))
dd <- svymean(~I(Diarrhoea == "Y"), dia)
cat(sprintf("diarrhoea %.15g %.15g %d\n", coef(dd)[2], SE(dd)[2], degf(dia)))
print(svyby(~I(Diarrhoea == "Y"), ~Site, dia, svymean), digits=15)
# (b) aggregates onto the household
heads <- m[!is.na(m$Relation_to_HH) & m$Relation_to_HH == "Head", ]
heads <- heads[!duplicated(heads$KEY), c("KEY", "Sex")]
names(heads)[2] <- "head_sex"
h <- merge(h, heads, by="KEY", all.x=TRUE, sort=FALSE)
u5 <- aggregate(I(Age_group == "under five") ~ KEY, m, sum); names(u5)[2] <- "n_under5"
h <- merge(h, u5, by="KEY", all.x=TRUE, sort=FALSE)
anyd <- aggregate(Diarrhoea ~ KEY, m, function(x) as.numeric(any(x == "Y")), na.action=na.pass)
m$dY <- m$Diarrhoea == "Y"
agg <- do.call(rbind, lapply(split(m$dY, m$KEY), function(x) c(any_true=any(x %in% TRUE), any_na=any(is.na(x)))))
h$any_diarrhoea <- ifelse(agg[h$KEY, "any_true"], 1, ifelse(agg[h$KEY, "any_na"], NA, 0))
dh <- svydesign(ids=~1, strata=~Site, weights=~w, data=h)
cat(sprintf("heads %d  same as Sex_HH %d  u5 total %d\n", sum(!is.na(h$head_sex)), sum(h$head_sex == h$Sex_HH, na.rm=TRUE), sum(h$n_under5)))
dh2 <- subset(dh, !is.na(any_diarrhoea) & n_under5 >= 1)
a <- svymean(~any_diarrhoea, dh2)
cat(sprintf("any_diarrhoea_u5hh %.15g %.15g %d\n", coef(a), SE(a), degf(dh2)))
print(svyby(~any_diarrhoea, ~head_sex, dh2, svymean), digits=15)
# (c) estimation: {interval: wald, df: design} on the repeat rows (tests/test_repeats.py, wald + design df)
ci_wald <- function(est, se, df) c(est - qt(0.975, df) * se, est + qt(0.975, df) * se)
cat(sprintf("female wald design %.15g %.15g\n", ci_wald(coef(fem)[2], SE(fem)[2], degf(dm))[1], ci_wald(coef(fem)[2], SE(fem)[2], degf(dm))[2]))
print(confint(svyciprop(~I(Sex == "F"), dm, method="mean"), df=degf(dm)), digits=15)
bs <- svyby(~I(Diarrhoea == "Y"), ~Site, dia, svymean)
for (s in rownames(bs)) {
  e <- bs[s, 3]; se <- bs[s, 5]
  cat(sprintf("diarrhoea wald design %s %.15g %.15g %.15g %.15g\n", s, e, se, e - qt(0.975, degf(dm)) * se, e + qt(0.975, degf(dm)) * se))
}
cat(sprintf("households with members %d, with a female member %d\n", length(unique(m$KEY)), length(unique(m$KEY[m$Sex %in% "F"]))))
