# Shared by the slurm/ scripts: where lasynth's programs are. Sourced, not run.
#
# LASYNTH_BUILD names the build directory; otherwise lasynth on PATH, otherwise the build/ of the
# directory the job was submitted from (sbatch copies a script away, so its own location says
# nothing).
lasynth_programs() {
  local build=${LASYNTH_BUILD:-}
  if [[ -z $build ]] && command -v lasynth > /dev/null; then
    LASYNTH=$(command -v lasynth)
    LASYNTH_LAUNCH=$(command -v lasynth-launch)
    LASYNTH_DATAGEN=$(command -v lasynth-datagen)
    LASYNTH_DATA=$(command -v lasynth-data)
    return
  fi
  build=${build:-${SLURM_SUBMIT_DIR:-$PWD}/build}
  LASYNTH=$build/src/app/lasynth
  LASYNTH_LAUNCH=$build/launcher/lasynth-launch
  LASYNTH_DATAGEN=$build/data_tools/lasynth-datagen
  LASYNTH_DATA=$build/data_tools/lasynth-data
  if [[ ! -x $LASYNTH ]]; then
    echo "slurm: no lasynth in $build (set LASYNTH_BUILD to the build directory, or put lasynth on PATH)" >&2
    exit 2
  fi
}
