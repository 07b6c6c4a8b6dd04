#include "aliquot/domain/materials/lot.h"
