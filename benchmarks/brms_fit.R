# The package's default SRP model (paradox.models.srp.ordinal_model, pooled) fitted with brms, timed.
#
#   Rscript benchmarks/brms_fit.R SURVEY.csv OUT_DIR CHAINS WARMUP DRAWS ADAPT_DELTA SEED CORES
#
# SURVEY.csv: one row per answer, columns respondent, item, answer (1..K), experiment, cell (no_failure,
# recovery_favourable, recovery_unfavourable), as benchmarks/brms_bench.py writes it.
# Writes OUT_DIR/draws.csv (chain, iteration and every population-level parameter, brms's names) and
# OUT_DIR/result.json (seconds of each stage, Stan's per-chain warm-up and sampling seconds, leapfrog steps,
# divergences, versions). brms_bench.py computes the ESS from draws.csv with arviz, as for the package's fit.
#
# The model, term by term against ordinal_model (cumulative logit, no intercept besides the cutpoints):
#   cutpoints per item, ordered, N(0, 4)        answer | thres(gr = item), prior normal(0, 4) on class Intercept
#   respondent intercepts N(0, sd),             (1 | respondent), prior normal(0, 3) on its sd (half-normal:
#     sd ~ HalfNormal(3)                          brms bounds sds at 0); brms samples them, the package's
#                                                 default integrates them out (the same posterior)
#   experiment baselines ZeroSumNormal(2)       three numeric columns exp_c1..3 = an orthonormal basis of the
#                                                 contrasts summing to zero (normalised Helmert), prior normal(0, 2)
#                                                 on their coefficients: Q b with b ~ N(0, 2 I) IS ZeroSumNormal(2)
#   recovery effect means N(0, 2) per level     favourable + unfavourable (0/1 columns), prior normal(0, 2)
#   effect = mean + tau * z[experiment, level], (0 + recovered | experiment_level): one random slope per
#     one tau ~ HalfNormal(1) for both levels     experiment x recovery level with ONE sd, prior normal(0, 1);
#                                                 no-failure rows have recovered = 0, so their (arbitrary)
#                                                 experiment_level adds nothing
# center = FALSE: brms would otherwise put the cutpoints' prior on cutpoints shifted by the predictors' means.

suppressPackageStartupMessages({
  library(brms)
  library(rstan)
})
# Debian's r-cran-bh uses the system's Boost (libboost-dev, /usr/include/boost) and ships no include
# directory of its own, so rstan finds no Boost and refuses to compile ("Boost not found").
if (!nzchar(rstan_options("boost_lib")) && dir.exists("/usr/include/boost")) rstan_options(boost_lib = "/usr/include")

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 8) {
  stop("usage: Rscript brms_fit.R SURVEY.csv OUT_DIR CHAINS WARMUP DRAWS ADAPT_DELTA SEED CORES")
}
survey_file <- args[1]
out_dir <- args[2]
chains <- as.integer(args[3])
warmup <- as.integer(args[4])
draws <- as.integer(args[5])
adapt_delta <- as.numeric(args[6])
seed <- as.integer(args[7])
cores <- as.integer(args[8])
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

seconds <- function(expr) {
  start <- proc.time()[["elapsed"]]
  value <- force(expr)
  list(value = value, s = proc.time()[["elapsed"]] - start)
}

# --- data -------------------------------------------------------------------------------------------------
read <- seconds({
  d <- read.csv(survey_file, stringsAsFactors = FALSE)
  needed <- c("respondent", "item", "answer", "experiment", "cell")
  missing <- setdiff(needed, names(d))
  if (length(missing)) stop(survey_file, ": missing column(s) ", paste(missing, collapse = ", "))
  cells <- c("no_failure", "recovery_favourable", "recovery_unfavourable")
  bad <- which(!d$cell %in% cells)
  if (length(bad)) stop(survey_file, ", column cell, row ", bad[1] + 1, ": unknown cell '", d$cell[bad[1]], "'")
  experiments <- unique(d$experiment)  # file order = the design's order
  d$experiment <- factor(d$experiment, levels = experiments)
  d$item <- factor(d$item, levels = unique(d$item))
  d$respondent <- factor(d$respondent)
  d$answer <- as.integer(d$answer - min(d$answer) + 1)
  # Orthonormal sum-to-zero basis (columns of Helmert contrasts scaled to length 1).
  basis <- contr.helmert(length(experiments))
  basis <- sweep(basis, 2, sqrt(colSums(basis^2)), "/")
  for (j in seq_len(ncol(basis))) d[[paste0("exp_c", j)]] <- basis[as.integer(d$experiment), j]
  d$favourable <- as.numeric(d$cell == "recovery_favourable")
  d$unfavourable <- as.numeric(d$cell == "recovery_unfavourable")
  d$recovered <- d$favourable + d$unfavourable
  level <- ifelse(d$cell == "recovery_unfavourable", "unfavourable", "favourable")
  d$experiment_level <- factor(paste(d$experiment, level, sep = ":"))
  d
})
d <- read$value
baseline_terms <- paste0("exp_c", seq_len(nlevels(d$experiment) - 1), collapse = " + ")

formula <- bf(as.formula(paste(
  "answer | thres(gr = item) ~", baseline_terms, "+ favourable + unfavourable",
  "+ (0 + recovered | experiment_level) + (1 | respondent)")), center = FALSE)
priors <- c(
  prior(normal(0, 4), class = "Intercept"),
  prior(normal(0, 2), class = "b"),
  prior(normal(0, 1), class = "sd", group = "experiment_level"),
  prior(normal(0, 3), class = "sd", group = "respondent")
)

# --- brms: Stan code and data; Stan: compile; then sample ----------------------------------------------------
build <- seconds({
  empty_fit <- brm(formula, data = d, family = cumulative("logit"), prior = priors, empty = TRUE)
  list(fit = empty_fit, code = stancode(empty_fit), data = standata(empty_fit))
})
compile <- seconds(rstan::stan_model(model_code = build$value$code))
sampled <- seconds(rstan::sampling(
  compile$value, data = build$value$data, chains = chains, iter = warmup + draws, warmup = warmup,
  cores = cores, seed = seed, control = list(adapt_delta = adapt_delta), refresh = 0
))
stan_fit <- sampled$value
fit <- build$value$fit
fit$fit <- stan_fit
fit <- brms:::rename_pars(fit)  # what brm() itself does after sampling: brms's parameter names

# --- output -------------------------------------------------------------------------------------------------
all_draws <- posterior::as_draws_df(fit)
keep <- grep("^(b_|sd_|r_experiment_level)", names(all_draws), value = TRUE)
out <- as.data.frame(all_draws)[, keep]
out <- cbind(chain = all_draws$.chain, iteration = all_draws$.iteration, out)
write.csv(out, file.path(out_dir, "draws.csv"), row.names = FALSE)

elapsed <- rstan::get_elapsed_time(stan_fit)  # per chain: warmup, sample (seconds)
stats_warm <- rstan::get_sampler_params(stan_fit, inc_warmup = TRUE)
leapfrog <- function(part) sum(sapply(stats_warm, function(s) {
  rows <- if (part == "warmup") seq_len(warmup) else warmup + seq_len(draws)
  sum(s[rows, "n_leapfrog__"])
}))
result <- list(
  n_answers = nrow(d), n_respondents = nlevels(d$respondent),
  read_s = read$s, build_s = build$s, compile_s = compile$s, sampling_s = sampled$s,
  chain_warmup_s = unname(elapsed[, "warmup"]), chain_sample_s = unname(elapsed[, "sample"]),
  leapfrog_warmup = leapfrog("warmup"), leapfrog_sampling = leapfrog("sampling"),
  divergences = sum(sapply(stats_warm, function(s) sum(s[warmup + seq_len(draws), "divergent__"]))),
  chains = chains, warmup = warmup, draws = draws, adapt_delta = adapt_delta, seed = seed, cores = cores,
  r = R.version.string, brms = as.character(packageVersion("brms")),
  rstan = as.character(packageVersion("rstan")), stan = rstan::stan_version(),
  formula = paste(deparse(formula$formula, width.cutoff = 500), collapse = " ")
)
writeLines(jsonlite::toJSON(result, auto_unbox = TRUE, digits = NA), file.path(out_dir, "result.json"))
cat("wrote", file.path(out_dir, "result.json"), "\n")
