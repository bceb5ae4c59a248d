# Reference fits from R for every model family paradox fits, written as test fixtures.
#
#   make r-fixtures                      (installs R's packages from Debian when missing, then runs this)
#   Rscript scripts/r_reference/make_fixtures.R [OUTDIR]
#
# Writes to OUTDIR (default tests/fixtures/r_reference/, relative to the repository root):
#   coefficients.csv   fit, term (R's name), parameter (paradox's name), estimate, se
#   fits.json          per fit: the R call, the data, nobs, logLik and the scalars (tau^2, ...);
#                      the R version and the version of every package used
#   soup.csv           ordinal's `soup` data (real: 185 respondents, 1,847 answers), for the clmm check
#   items_wide.csv     the package's synthetic stand-in (invented; 1,440 respondents x 3 items), for per-item cutpoints
#   rma_effects.csv    the yi and vi each rma fit was given (so REML can be compared on identical inputs)
#   normand1999.csv    metafor's `dat.normand1999` (real: length of hospital stay in days) as a paradox meta table
# and reads raw_points.csv (an invented table of ready effects in points, SEs 8-12) from OUTDIR.
# tests/test_r_reference.py compares the engines against these files; R is not needed to run the tests.
# Only base R, MASS, ordinal and metafor are used (no jsonlite: the JSON is written by `to_json` below).

suppressPackageStartupMessages({
  library(MASS)
  library(ordinal)
  library(metafor)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/fixtures/r_reference"
if (!file.exists("data/reference/housing.csv")) stop("run from the repository root")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

coefficients <- list()
fits <- list()

# paradox's names: factor[level], a:b[level_a:level_b], cutpoints[lo|hi] (see paradox.models.regression).
paradox_name <- function(term, factors) {
  if (grepl("|", term, fixed = TRUE)) return(sprintf("cutpoints[%s]", term))
  parts <- strsplit(term, ":", fixed = TRUE)[[1]]
  names <- character(0); levels <- character(0)
  for (part in parts) {
    hit <- factors[startsWith(part, factors)]
    if (length(hit) != 1) return(term)
    names <- c(names, hit); levels <- c(levels, substring(part, nchar(hit) + 1))
  }
  sprintf("%s[%s]", paste(names, collapse = ":"), paste(levels, collapse = ":"))
}

add_coefficients <- function(fit_name, estimate, se, factors) {
  terms <- names(estimate)
  coefficients[[fit_name]] <<- data.frame(
    fit = fit_name, term = terms, parameter = vapply(terms, paradox_name, "", factors = factors),
    estimate = unname(estimate), se = unname(se[terms]), stringsAsFactors = FALSE)
}

# ---- MASS::polr and ordinal::clm on the Copenhagen housing data (weights = Freq)
housing <- read.csv("data/reference/housing.csv", stringsAsFactors = FALSE)
housing$Sat <- factor(housing$Sat, levels = c("Low", "Medium", "High"), ordered = TRUE)
housing$Infl <- factor(housing$Infl, levels = c("Low", "Medium", "High"))
housing$Type <- factor(housing$Type, levels = c("Tower", "Apartment", "Atrium", "Terrace"))
housing$Cont <- factor(housing$Cont, levels = c("Low", "High"))
housing_factors <- c("Infl", "Type", "Cont")

polr_fit <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
estimate <- c(coef(polr_fit), polr_fit$zeta)
add_coefficients("polr_housing", estimate, sqrt(diag(vcov(polr_fit))), housing_factors)
fits$polr_housing <- list(
  call = "MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)",
  data = "data/reference/housing.csv", method = "maximum likelihood, logit link",
  nobs = sum(housing$Freq), logLik = as.numeric(logLik(polr_fit)))

clm_fit <- clm(Sat ~ Infl * Type + Cont, weights = Freq, data = housing)
add_coefficients("clm_housing_interaction", coef(clm_fit), sqrt(diag(vcov(clm_fit))), housing_factors)
fits$clm_housing_interaction <- list(
  call = "ordinal::clm(Sat ~ Infl * Type + Cont, weights = Freq, data = housing)",
  data = "data/reference/housing.csv", method = "maximum likelihood, logit link, flexible thresholds",
  nobs = sum(housing$Freq), logLik = as.numeric(logLik(clm_fit)))

# ---- ordinal::clm with free thresholds per item (nominal = ~ item): several items of one scale, each with its
# own six cutpoints. The data: the package's synthetic stand-in (invented; data/synthetic/), copied here so that
# the fixture stays valid when the stand-in is regenerated. clm treats the 4,320 answers as independent, as the
# engine does without a respondent intercept: the same likelihood, whatever the data's own structure.
file.copy("data/synthetic/magnini2007_synthetic_survey.csv", file.path(out, "items_wide.csv"), overwrite = TRUE)
wide <- read.csv(file.path(out, "items_wide.csv"), stringsAsFactors = FALSE)
items <- c("sat_1", "sat_2", "sat_3")
long <- reshape(wide, direction = "long", varying = items, v.names = "answer", timevar = "item", times = items,
                idvar = "respondent_id")
long$answer <- factor(long$answer, levels = 1:7, ordered = TRUE)
long$item <- factor(long$item, levels = items)
long$experiment <- factor(long$experiment, levels = unique(wide$experiment))  # the file's order, first = baseline
long$cell <- factor(long$cell, levels = c("no_failure", "recovery_favourable", "recovery_unfavourable"))
nominal_fit <- clm(answer ~ experiment + cell, nominal = ~ item, data = long)
# Each item's cutpoints: the first item's are clm's thresholds, another's those plus its nominal effects.
cuts <- paste0(1:6, "|", 2:7)
theta <- coef(nominal_fit)
combination <- matrix(0, length(items) * length(cuts), length(theta), dimnames = list(NULL, names(theta)))
labels <- character(0)
for (i in seq_along(items)) for (j in seq_along(cuts)) {
  row <- (i - 1) * length(cuts) + j
  combination[row, sprintf("%s.(Intercept)", cuts[j])] <- 1
  if (i > 1) combination[row, sprintf("%s.item%s", cuts[j], items[i])] <- 1
  labels <- c(labels, sprintf("cutpoints[%s, %s]", items[i], cuts[j]))
}
effects_only <- theta[!grepl("|", names(theta), fixed = TRUE)]
add_coefficients("clm_items_nominal", effects_only, sqrt(diag(vcov(nominal_fit))), c("experiment", "cell"))
per_item <- data.frame(fit = "clm_items_nominal", term = labels, parameter = labels,
                       estimate = as.numeric(combination %*% theta),
                       se = sqrt(diag(combination %*% vcov(nominal_fit) %*% t(combination))), stringsAsFactors = FALSE)
coefficients$clm_items_nominal <- rbind(coefficients$clm_items_nominal, per_item)
fits$clm_items_nominal <- list(
  call = "ordinal::clm(answer ~ experiment + cell, nominal = ~ item, data = long)",
  data = "tests/fixtures/r_reference/items_wide.csv (the package's synthetic stand-in, invented), long by item",
  method = "maximum likelihood, logit link, flexible thresholds per item (nominal effects of item)",
  nobs = nrow(long), logLik = as.numeric(logLik(nominal_fit)), max_gradient = max(abs(nominal_fit$gradient)))

# ---- ordinal::clmm with a respondent intercept, adaptive Gauss-Hermite with 10 nodes, on real data:
# `soup` (Christensen & Brockhoff; ordinal's documentation): 185 respondents each judged about 10 soup
# samples, reference or test product, and said how sure they were it was the reference (1-6).
data(soup, package = "ordinal")
soup_out <- data.frame(RESP = as.character(soup$RESP), PROD = as.character(soup$PROD), DAY = as.character(soup$DAY),
                       SURENESS = as.integer(as.character(soup$SURENESS)), item = "sureness")
write.csv(soup_out, file.path(out, "soup.csv"), row.names = FALSE, quote = FALSE)
clmm_fit <- clmm(SURENESS ~ PROD + (1 | RESP), data = soup, nAGQ = 10, Hess = TRUE)
se <- sqrt(diag(vcov(clmm_fit)))
sd_resp <- as.numeric(attr(VarCorr(clmm_fit)$RESP, "stddev"))
# vcov's ST1 is log(sd): the delta method gives the sd's standard error.
estimate <- c(coef(clmm_fit), RESP_sd = sd_resp)
se["RESP_sd"] <- sd_resp * se[["ST1"]]
add_coefficients("clmm_soup", estimate, se, c("PROD"))
coefficients$clmm_soup$parameter[coefficients$clmm_soup$term == "RESP_sd"] <- "RESP_sd"
fits$clmm_soup <- list(
  call = "ordinal::clmm(SURENESS ~ PROD + (1 | RESP), data = soup, nAGQ = 10, Hess = TRUE)",
  data = "tests/fixtures/r_reference/soup.csv (ordinal's soup, written by this script)",
  method = "maximum likelihood, adaptive Gauss-Hermite quadrature with 10 nodes, logit link",
  nobs = nrow(soup), respondents = nlevels(soup$RESP), logLik = as.numeric(logLik(clmm_fit)),
  nAGQ = 10L, max_gradient = max(abs(clmm_fit$gradient)))

# ---- metafor::rma, REML, on a log-risk-ratio table and two tables in raw units
effects <- list()
rma_fixture <- function(fit_name, yi, vi, call, data, unit) {
  fit <- rma(yi, vi, method = "REML")
  effects[[fit_name]] <<- data.frame(fit = fit_name, study_id = seq_along(yi),
                                     yi = formatC(as.numeric(yi), digits = 15, format = "g"),
                                     vi = formatC(as.numeric(vi), digits = 15, format = "g"))
  add_coefficients(fit_name, c(mu = as.numeric(fit$beta)), c(mu = fit$se), character(0))
  fits[[fit_name]] <<- list(call = call, data = data, unit = unit, method = "REML", k = fit$k,
                            mu = as.numeric(fit$beta), se = fit$se, tau2 = fit$tau2, tau2_se = fit$se.tau2,
                            I2 = fit$I2 / 100, QE = fit$QE, logLik = as.numeric(logLik(fit)))
}

bcg <- read.csv("data/reference/bcg.csv")
bcg_es <- escalc(measure = "RR", ai = events_treated, n1i = n_treated, ci = events_control, n2i = n_control, data = bcg)
rma_fixture("rma_bcg_log_rr", bcg_es$yi, bcg_es$vi,
            "metafor::rma(yi, vi, method = 'REML') after escalc(measure = 'RR', ...)", "data/reference/bcg.csv",
            "log risk ratio")

normand <- metadat::dat.normand1999  # metafor's data sets live in metadat since metafor 3.8
write.csv(data.frame(study_id = normand$study, study_label = normand$source,
                     mean_treated = normand$m1i, sd_treated = normand$sd1i, n_treated = normand$n1i,
                     mean_control = normand$m2i, sd_control = normand$sd2i, n_control = normand$n2i),
          file.path(out, "normand1999.csv"), row.names = FALSE, quote = FALSE)
normand_es <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                     data = normand)
rma_fixture("rma_normand1999_md", normand_es$yi, normand_es$vi,
            "metafor::rma(yi, vi, method = 'REML') after escalc(measure = 'MD', ...)",
            "tests/fixtures/r_reference/normand1999.csv (metafor's dat.normand1999)",
            "days (mean difference in length of hospital stay)")

raw <- read.csv(file.path(out, "raw_points.csv"))
rma_fixture("rma_raw_points", raw$yi, raw$vi, "metafor::rma(yi, vi, method = 'REML')",
            "tests/fixtures/r_reference/raw_points.csv (invented)", "points")

# standardised effects (Hedges' g) of the same normand table, so both scales of one data set are checked
normand_smd <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                      data = normand)
rma_fixture("rma_normand1999_g", normand_smd$yi, normand_smd$vi,
            "metafor::rma(yi, vi, method = 'REML') after escalc(measure = 'SMD', ...)",
            "tests/fixtures/r_reference/normand1999.csv (metafor's dat.normand1999)", "Hedges' g")

# ---- write
to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    body <- vapply(names(x), function(n) sprintf("%s\"%s\": %s", inner, n, to_json(x[[n]], inner)), "")
    return(sprintf("{\n%s\n%s}", paste(body, collapse = ",\n"), indent))
  }
  if (is.character(x)) return(sprintf("\"%s\"", gsub("\"", "\\\\\"", x)))
  if (is.integer(x)) return(as.character(x))
  if (is.logical(x)) return(tolower(as.character(x)))
  trimws(formatC(x, digits = 15, format = "g"))
}

table <- do.call(rbind, coefficients)
table$estimate <- trimws(formatC(table$estimate, digits = 12, format = "g"))
table$se <- trimws(formatC(table$se, digits = 12, format = "g"))
# term and parameter quoted: a per-item cutpoint's name holds a comma
write.csv(table, file.path(out, "coefficients.csv"), row.names = FALSE, quote = c(2, 3))
effects_table <- do.call(rbind, effects)
effects_table$yi <- trimws(effects_table$yi); effects_table$vi <- trimws(effects_table$vi)
write.csv(effects_table, file.path(out, "rma_effects.csv"), row.names = FALSE, quote = FALSE)

versions <- list(R = R.version.string, platform = R.version$platform,
                 MASS = as.character(packageVersion("MASS")), ordinal = as.character(packageVersion("ordinal")),
                 metafor = as.character(packageVersion("metafor")), metadat = as.character(packageVersion("metadat")), ucminf = as.character(packageVersion("ucminf")),
                 Matrix = as.character(packageVersion("Matrix")))
writeLines(to_json(list(generated_by = "scripts/r_reference/make_fixtures.R", versions = versions, fits = fits)),
           file.path(out, "fits.json"))
cat("wrote", file.path(out, c("coefficients.csv", "rma_effects.csv", "fits.json", "soup.csv", "items_wide.csv",
                                 "normand1999.csv")), sep = "\n  ")
