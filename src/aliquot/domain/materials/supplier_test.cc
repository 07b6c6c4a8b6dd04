#include "aliquot/domain/materials/supplier.h"
