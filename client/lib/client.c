/* Placeholder until libclinic lands. */
#include "clinic_client.h"
